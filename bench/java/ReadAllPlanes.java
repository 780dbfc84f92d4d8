// The ceiling of the Bio-Formats bridge benchmark (bench/bioformats.ts): the same read loop in plain Java, run in
// the benchmark's own JVM (same flags, same moment) through two static methods; `main` runs it standalone.
// Every plane of one series, into one reused buffer (what the bridge's shared-memory route does too).
//   java -cp bioformats_package.jar:<classes> ReadAllPlanes <file> <series> <reps>
import loci.common.DebugTools;
import loci.formats.FormatTools;
import loci.formats.ImageReader;

public class ReadAllPlanes {
  public static ImageReader open(String file, int series) throws Exception {
    ImageReader r = new ImageReader();
    r.setFlattenedResolutions(false);
    r.setId(file);
    r.setSeries(series);
    return r;
  }

  /** Reads every plane `reps` times; returns the seconds it took. */
  public static double readAll(loci.formats.IFormatReader r, int reps) throws Exception {
    byte[] buf = new byte[r.getSizeX() * r.getSizeY() * r.getRGBChannelCount()
        * FormatTools.getBytesPerPixel(r.getPixelType())];
    long t0 = System.nanoTime();
    for (int k = 0; k < reps; k++)
      for (int p = 0; p < r.getImageCount(); p++) r.openBytes(p, buf);
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * Reads every plane `reps` times with two readers on two threads (the first half of the planes on one, the
   * second half on the other): the plain-Java ceiling of the bridge's two-reader read. Returns the seconds.
   */
  public static double readAllTwo(loci.formats.IFormatReader a, loci.formats.IFormatReader b, int reps)
      throws Exception {
    int n = a.getImageCount();
    int half = (n + 1) / 2;
    Exception[] failure = new Exception[1];
    long t0 = System.nanoTime();
    Thread other = new Thread(() -> {
      try {
        byte[] buf = new byte[a.getSizeX() * a.getSizeY() * a.getRGBChannelCount()
            * FormatTools.getBytesPerPixel(a.getPixelType())];
        for (int k = 0; k < reps; k++)
          for (int p = half; p < n; p++) b.openBytes(p, buf);
      } catch (Exception e) {
        failure[0] = e;
      }
    });
    other.start();
    byte[] buf = new byte[a.getSizeX() * a.getSizeY() * a.getRGBChannelCount()
        * FormatTools.getBytesPerPixel(a.getPixelType())];
    for (int k = 0; k < reps; k++)
      for (int p = 0; p < half; p++) a.openBytes(p, buf);
    other.join();
    if (failure[0] != null) throw failure[0];
    return (System.nanoTime() - t0) / 1e9;
  }

  public static void main(String[] args) throws Exception {
    DebugTools.setRootLevel("ERROR");
    ImageReader r = open(args[0], Integer.parseInt(args[1]));
    readAll(r, 1); // warm-up
    int reps = Integer.parseInt(args[2]);
    double s = readAll(r, reps);
    long bytes = (long) reps * r.getImageCount() * r.getSizeX() * r.getSizeY() * r.getRGBChannelCount()
        * FormatTools.getBytesPerPixel(r.getPixelType());
    System.out.println(bytes / 1e6 / s + " MB/s");
    r.close();
    System.exit(0);
  }
}
