# Peer for validate.test.ts: writes the valid bases the broken cases are made from (tifffile TIFFs, zarr-python
# OME-Zarr 0.4 and 0.5 stores), says where their tags sit (tifffile's own offsets), has ome-zarr-models judge the
# bases, and gathers independent evidence about the real samples bfio validate rejects.
import json, os, re, sys
import xml.etree.ElementTree as ET
import numpy as np
import tifffile
import zarr

inp = json.load(sys.stdin)
out_dir, data = inp["dir"], inp["data"]
rng = np.random.default_rng(13)
res = {}


def tag_info(page):
    return {
        str(t.code): {"entry": t.offset, "value": t.valueoffset, "count": t.count, "dtype": int(t.dtype)}
        for t in page.tags.values()
    }


def tiff_facts(path):
    with tifffile.TiffFile(path) as tif:
        pages = []
        for p in tif.pages:
            pages.append({"offset": p.offset, "tags": tag_info(p), "next": p.offset + 2 + len(p.tags) * 12})
        subs = []
        if tif.series[0].levels[1:]:
            subs = [tag_info(lvl.pages[0]) for lvl in tif.series[0].levels[1:]]
        return {"size": os.path.getsize(path), "le": tif.byteorder == "<", "pages": pages, "subs": subs}


# OME-TIFF, 2 Z planes of 64x64 in 32x32 tiles: 4 tiles per IFD.
t = os.path.join(out_dir, "t.ome.tif")
tifffile.imwrite(t, rng.integers(0, 4000, (2, 64, 64), dtype=np.uint16), ome=True, tile=(32, 32),
                 metadata={"axes": "ZYX"})
# Plain striped TIFF, 4 strips of 16 rows, with a Software tag stored out of line.
s = os.path.join(out_dir, "s.tif")
tifffile.imwrite(s, rng.integers(0, 255, (64, 64), dtype=np.uint8), rowsperstrip=16, software="bfio validate test")
# Pyramidal OME-TIFF: a 32x32 reduced resolution in a SubIFD.
p = os.path.join(out_dir, "p.ome.tif")
with tifffile.TiffWriter(p, ome=True) as w:
    img = rng.integers(0, 255, (64, 64), dtype=np.uint8)
    w.write(img, tile=(64, 64), subifds=1, metadata={"axes": "YX"})
    w.write(img[::2, ::2], tile=(64, 64), subfiletype=1)
res["tiff"] = {n: tiff_facts(os.path.join(out_dir, n)) for n in ["t.ome.tif", "s.tif", "p.ome.tif"]}

# OME-Zarr stores written with zarr-python; 2 channels, 2 levels, omero with 2 channels.
data0 = rng.integers(0, 4000, (2, 64, 64), dtype=np.uint16)
axes = [{"name": "c", "type": "channel"}, {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"}]
datasets = [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 0.5, 0.5]}]},
            {"path": "1", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 1.0, 1.0]}]}]
win = {"min": 0, "max": 4000, "start": 0, "end": 4000}
omero = {"channels": [{"color": "FF0000", "window": win, "label": "a", "active": True},
                      {"color": "00FF00", "window": win, "label": "b", "active": True}]}
for version, fmt in [("0.4", 2), ("0.5", 3)]:
    path = os.path.join(out_dir, f"v{version.replace('.', '')}.zarr")
    g = zarr.open_group(path, mode="w", zarr_format=fmt)
    kw = ({"chunks": (1, 16, 16), "shards": (1, 32, 32), "dimension_names": ["c", "y", "x"]} if fmt == 3
          else {"chunks": (1, 32, 32)})
    a0 = g.create_array("0", shape=data0.shape, dtype=data0.dtype, **kw)
    a0[:] = data0
    a1 = g.create_array("1", shape=(2, 32, 32), dtype=data0.dtype, **kw)
    a1[:] = data0[:, ::2, ::2]
    ms = {"axes": axes, "datasets": datasets, "name": "img"}
    if fmt == 2:
        g.attrs.update({"multiscales": [{**ms, "version": "0.4"}], "omero": omero})
    else:
        g.attrs.update({"ome": {"version": "0.5", "multiscales": [ms], "omero": omero}})

# ome-zarr-models (pydantic models of the NGFF specs) on the bases: they must agree these are valid.
from ome_zarr_models.v04 import Image as Image04
from ome_zarr_models.v05 import Image as Image05

peer = {}
for name, model, fmt in [("v04.zarr", Image04, 2), ("v05.zarr", Image05, 3)]:
    try:
        model.from_zarr(zarr.open_group(os.path.join(out_dir, name), mode="r", zarr_format=fmt))
        peer[name] = "valid"
    except Exception as e:  # noqa: BLE001
        peer[name] = f"{type(e).__name__}: {e}"[:500]
res["models"] = peer

# Evidence about real samples: level sizes vs scales (zarr-python), dtypes per level, TiffData vs pages.
cmu = zarr.open_group(os.path.join(data, "tiledb-bioimaging/CMU-1-Small-Region.ome.zarr/0"), mode="r")
ms = cmu.attrs["multiscales"][0]
res["cmu"] = {
    "shapes": [list(cmu[d["path"]].shape) for d in ms["datasets"]],
    "scales": [d["coordinateTransformations"][0]["scale"] for d in ms["datasets"]],
}
warn = zarr.open_group(os.path.join(data, "ome-zarr-examples/warning/image-01.zarr"), mode="r")
res["warning_dtypes"] = [str(warn[d["path"]].dtype) for d in warn.attrs["multiscales"][0]["datasets"]]


def ome_planes(desc):
    """Planes Z x C x T (an RGB channel once) and planes mapped by TiffData, per ElementTree."""
    if not desc or "<OME" not in desc:
        return None
    root = ET.fromstring(desc)
    ns = {"o": re.match(r"\{(.*)\}", root.tag).group(1)}
    px = root.find(".//o:Pixels", ns)
    chans = px.findall("o:Channel", ns)
    spp = sum(int(c.get("SamplesPerPixel", "1")) for c in chans)
    c = len(chans) if chans and spp == int(px.get("SizeC")) else int(px.get("SizeC"))
    tds = px.findall("o:TiffData", ns)
    planes = int(px.get("SizeZ")) * c * int(px.get("SizeT"))
    mapped = sum(int(td.get("PlaneCount", str(planes if len(tds) == 1 else 1))) for td in tds)
    return {"planes": planes, "mapped": mapped}


# What tifffile and ElementTree see in the real TIFF samples bfio validate rejects.
facts = {}
for rel in inp["invalid_tiffs"]:
    with tifffile.TiffFile(os.path.join(data, rel)) as tif:
        p0 = tif.pages[0]
        f = {"tile": [p0.tilewidth, p0.tilelength] if p0.is_tiled else None,
             "ome": ome_planes(p0.description), "sub": None}
        if p0.subifds:
            tif.filehandle.seek(p0.subifds[0])
            sub = tifffile.TiffPage(tif, index=(0, 0))
            f["sub"] = {"reduced": bool(sub.is_reduced), "size": [sub.imagewidth, sub.imagelength],
                        "parent": [p0.imagewidth, p0.imagelength]}
        facts[rel] = f
res["invalid_tiffs"] = facts


def missing(rel):
    """Groups and arrays the NGFF metadata names that zarr-python cannot open (walks images, plates, wells)."""
    try:
        root = zarr.open_group(os.path.join(data, rel), mode="r")
    except Exception:  # noqa: BLE001  (a v2 copy without .zgroup: not even the group opens)
        return 1
    todo, gone = [""], 0
    while todo:
        path = todo.pop()
        try:
            g = root[path] if path else root
        except Exception:  # noqa: BLE001
            gone += 1
            continue
        attrs = dict(g.attrs)
        ome = attrs.get("ome", attrs)
        for ms in ome.get("multiscales", []):
            for d in ms.get("datasets", []):
                try:
                    g[d["path"]]
                except Exception:  # noqa: BLE001
                    gone += 1
        kids = [w["path"] for w in ome.get("plate", {}).get("wells", [])]
        kids += [i["path"] for i in ome.get("well", {}).get("images", [])]
        todo += [f"{path}/{k}".strip("/") for k in kids]
    return gone


res["missing"] = {rel: missing(rel) for rel in inp["incomplete_stores"]}
print(json.dumps(res))
