// Test-time peer: Bio-Formats' own command-line tools, run many times in ONE JVM (a JVM start per file would
// cost ~1 s each). Compiled by the tests into a temp directory; never shipped.
//   info <file>                 -> what `ImageInfo -nopix -noflat -nometa` prints, between @@@ markers
//   convert <file> <series> <out>  -> what `bfconvert -series <s> -noflat` writes
import loci.common.DebugTools;
import loci.formats.ImageWriter;
import loci.formats.tools.ImageConverter;
import loci.formats.tools.ImageInfo;

public class RefTool {
  public static void main(String[] args) throws Exception {
    DebugTools.setRootLevel("INFO"); // ImageInfo prints through the logger
    int i = 0;
    while (i < args.length) {
      String cmd = args[i++];
      if (cmd.equals("info")) {
        String file = args[i++];
        System.out.println("@@@BEGIN " + file);
        boolean ok;
        try {
          ok = new ImageInfo().testRead(new String[] {"-nopix", "-noflat", "-nometa", "-no-upgrade", file});
        } catch (Exception e) {
          System.out.println("@@@EXCEPTION " + e);
          ok = false;
        }
        System.out.println("@@@END " + ok);
      } else if (cmd.equals("convert")) {
        String file = args[i++], series = args[i++], out = args[i++];
        boolean ok;
        try {
          ok = new ImageConverter().testConvert(new ImageWriter(),
              new String[] {"-series", series, "-noflat", "-no-upgrade", "-overwrite", file, out});
        } catch (Exception e) {
          System.out.println("@@@EXCEPTION " + e);
          ok = false;
        }
        System.out.println("@@@CONVERTED " + ok + " " + out);
      }
    }
    System.out.flush();
    System.exit(0);
  }
}
