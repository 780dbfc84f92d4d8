# Shared by the plate tests' Python peers (prepended to their scripts): a plate store as ome-zarr-py's
# reader sees it (Plate and Well specs), every field's full-resolution pixels.
import numpy as np
from ome_zarr.io import parse_url
from ome_zarr.reader import Node, Plate, Reader, Well


def read_plate(path):
    node = list(Reader(parse_url(path))())[0]
    plate = [s for s in node.specs if isinstance(s, Plate)][0]
    wells = {}
    for wp in plate.well_paths:
        wn = Node(plate.zarr.create(wp), node)
        well = [s for s in wn.specs if isinstance(s, Well)][0]
        wells[wp] = [{"path": img["path"],
                      "pixels": np.asarray(Node(wn.zarr.create(img["path"]), wn).data[0]).ravel().tolist()}
                     for img in well.well_data["images"]]
    return {"rows": plate.row_names, "columns": plate.col_names, "wells": wells,
            "field_count": plate.plate_data.get("field_count")}
