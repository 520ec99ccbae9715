package io.hexgate.images;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes Hexgate's images as OCI archives: the operator and the agent (the CLI on the Debian base that
 * {@code scripts/ensure-image-base.sh} makes) and the OLM bundle (from scratch). Run by the build at
 * {@code package}; arguments: the checkout, the output directory, the images' version.
 *
 * <p>Whatever cannot be built here is skipped with its reason on one log line (no root and no cached
 * base, no bundle annotations yet, a datapath built without its BPF object), so a build without root
 * still passes; the tests decide whether a missing archive is acceptable.
 */
public final class BuildImages {
  private BuildImages() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: BuildImages <checkout> <output-dir> <version>");
      System.exit(2);
    }
    Path root = Path.of(args[0]).toAbsolutePath().normalize();
    Path out = Path.of(args[1]).toAbsolutePath();
    String version = args[2];
    Files.createDirectories(out);
    ImageLog log = new ImageLog();
    // Jib's layer caches live in the build's output, never in the user's home (which may not be writable)
    Path cache = out.resolve("jib-cache");

    BundleImage.build(root.resolve("bundle"), out, cache, version, log);

    Optional<Path> base = ImageBase.ensure(root, log);
    if (base.isEmpty()) {
      Files.deleteIfExists(out.resolve(JvmImage.operator(version).archiveName()));
      Files.deleteIfExists(out.resolve(JvmImage.agent(version).archiveName()));
      log.skip("operator and agent images", "no image base (see the line of scripts/ensure-image-base.sh above)");
      return;
    }
    CliApplication app = CliApplication.read(root.resolve("cli/target/hexgate.jar"));
    JvmImage.operator(version).build(base.get(), app, out, cache, log);
    if (app.containsResource(JvmImage.BPF_OBJECT)) {
      JvmImage.agent(version).build(base.get(), app, out, cache, log);
    } else {
      Files.deleteIfExists(out.resolve(JvmImage.agent(version).archiveName()));
      log.skip("agent image", "the datapath jar has no " + JvmImage.BPF_OBJECT
          + " (built with -Dhexgate.bpf.skip=true, without clang/libbpf-dev?)");
    }
  }
}
