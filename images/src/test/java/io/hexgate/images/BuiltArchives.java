package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the build wrote the archives, and whether one may be missing: only where the build could not
 * make it (no root for the image base, no bundle annotations yet); as root a missing archive is a failure.
 */
final class BuiltArchives {
  static final String VERSION = "0.1.0";
  static final Path DIR = Path.of("target");
  static final Path ROOT = Path.of(System.getProperty("hexgate.root", "..")).toAbsolutePath().normalize();

  private BuiltArchives() {}

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** A JVM image's archive: required as root, where the build can always make the base. */
  static Path jvmImage(String name) {
    Path tar = DIR.resolve(name + ".oci.tar");
    if (!Files.exists(tar)) {
      assumeTrue(root(), tar + " was not built: without root, only a cached " + ImageBase.SCRIPT + " base allows it");
    }
    assertThat(tar).as("the build, run as root, writes it").isRegularFile();
    return tar;
  }

  static Path bundleImage() {
    Path annotations = ROOT.resolve("bundle/metadata/annotations.yaml");
    assumeTrue(Files.isRegularFile(annotations), "no " + annotations + ": the bundle image is not built");
    Path tar = DIR.resolve(BundleImage.ARCHIVE);
    assertThat(tar).as("the bundle has annotations, so the build writes its image").isRegularFile();
    return tar;
  }
}
