# Summaries of OME-XML documents by ome-types (the Python peer), for comparison with our parser.
# Input on stdin: {"docs": {name: xml}}; prints {name: summary | {"error": str}} as one JSON line.
import json, sys, warnings
warnings.filterwarnings('ignore')
import ome_types

def q(v, u):
    if v is None:
        return None
    return [float(v), getattr(u, 'value', u)]

def ev(x):
    return None if x is None else getattr(x, 'value', x)

def summ(o):
    images = []
    for i in o.images:
        p = i.pixels
        images.append({
            'id': i.id, 'name': i.name,
            'pixels': {
                'id': p.id, 'dimensionOrder': ev(p.dimension_order), 'type': ev(p.type),
                'size': [p.size_x, p.size_y, p.size_z, p.size_c, p.size_t],
                'physicalSize': [q(p.physical_size_x, p.physical_size_x_unit), q(p.physical_size_y, p.physical_size_y_unit),
                                 q(p.physical_size_z, p.physical_size_z_unit)],
                'timeIncrement': q(p.time_increment, p.time_increment_unit),
                'channels': [[c.id, c.name, c.samples_per_pixel, q(c.excitation_wavelength, c.excitation_wavelength_unit),
                              q(c.emission_wavelength, c.emission_wavelength_unit)] for c in p.channels],
                'planes': [[pl.the_z, pl.the_c, pl.the_t, q(pl.delta_t, pl.delta_t_unit), q(pl.exposure_time, pl.exposure_time_unit),
                            q(pl.position_x, pl.position_x_unit)] for pl in p.planes],
                'tiffData': [[t.ifd, t.first_z, t.first_c, t.first_t, t.plane_count,
                              t.uuid.value if t.uuid else None, t.uuid.file_name if t.uuid else None] for t in p.tiff_data_blocks],
            },
        })
    instruments = [{'id': ins.id, 'objectives': [[ob.id, ob.lens_na, ob.nominal_magnification, ev(ob.immersion)] for ob in ins.objectives]}
                   for ins in o.instruments]
    sa = o.structured_annotations
    maps = []
    if sa is not None:
        for m in getattr(sa, 'map_annotations', []):
            maps.append([m.id, [[x.k, x.value] for x in m.value.ms]])
    return {'images': images, 'instruments': instruments, 'maps': maps}

docs = json.load(sys.stdin)['docs']
out = {}
for name, xml in docs.items():
    try:
        out[name] = summ(ome_types.from_xml(xml, validate=False))
    except Exception as e:  # reported, not hidden: the test lists which documents the peer cannot read
        out[name] = {'error': f'{type(e).__name__}: {str(e)[:200]}'}
print(json.dumps(out))
