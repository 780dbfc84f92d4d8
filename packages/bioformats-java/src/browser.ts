/**
 * What a browser bundle gets for @bfio/bioformats-java (package.json `exports`, condition `browser`):
 * Bio-Formats runs in a Java VM, which a page does not have. Importing the package there throws at once a
 * typed error saying what to use instead, rather than a bundler failing on `java` or `node:child_process`.
 * (@bfio/core never imports it in a browser; forcing `backend: 'bioformats'` there is the same error.)
 */
import { UnsupportedError } from '@bfio/core';

throw new UnsupportedError(
  '@bfio/bioformats-java is Node-only: it runs Bio-Formats in a Java VM, which a browser does not have; in a browser read OME-TIFF (@bfio/tiff) or OME-Zarr (@bfio/zarr), or convert the file with `bfio convert` in Node first',
);
