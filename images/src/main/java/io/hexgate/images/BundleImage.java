package io.hexgate.images;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The OLM bundle image, as {@code bundle/bundle.Dockerfile} describes it: FROM scratch, {@code /manifests/},
 * {@code /metadata/} and, when shipped, {@code /tests/scorecard/}, labelled with the annotations of
 * {@code bundle/metadata/annotations.yaml} (a catalog reads them from the image's labels).
 */
final class BundleImage {
  static final String NAME = "hexgate-operator-bundle";
  static final String ARCHIVE = NAME + ".oci.tar";

  private BundleImage() {}

  static String reference(String version) {
    return JvmImage.REGISTRY + NAME + ":v" + version;
  }

  static void build(Path bundle, Path out, Path cache, String version, ImageLog log) throws Exception {
    Path archive = out.resolve(ARCHIVE);
    Path annotations = bundle.resolve("metadata/annotations.yaml");
    if (!Files.isRegularFile(annotations)) {
      Files.deleteIfExists(archive);
      log.skip("bundle image", annotations + " does not exist");
      return;
    }
    long started = System.nanoTime();
    JibContainerBuilder image = Jib.fromScratch()
        .addFileEntriesLayer(directoryLayer(bundle.resolve("manifests"), "/manifests"))
        .addFileEntriesLayer(directoryLayer(bundle.resolve("metadata"), "/metadata"));
    Path scorecard = bundle.resolve("tests/scorecard");
    if (Files.isDirectory(scorecard)) {
      image.addFileEntriesLayer(directoryLayer(scorecard, "/tests/scorecard"));
    }
    JibContainer container = image
        .setLabels(BundleAnnotations.read(annotations))
        .setFormat(ImageFormat.OCI)
        .setCreationTime(Instant.EPOCH)
        .containerize(Containerizer.to(TarImage.at(archive).named(reference(version)))
            .setOfflineMode(true)
            .setToolName("hexgate-images")
            .setBaseImageLayersCache(cache.resolve("base-layers"))
            .setApplicationLayersCache(cache.resolve("layers"))
            .addEventHandler(LogEvent.class, log::jib));
    log.info(String.format("%s %s: %s, %d kB, in %d ms", ARCHIVE, reference(version), container.getDigest(),
        Files.size(archive) >> 10, (System.nanoTime() - started) / 1_000_000));
  }

  private static FileEntriesLayer directoryLayer(Path source, String target) throws IOException {
    if (!Files.isDirectory(source)) {
      throw new IOException("the bundle has no " + source);
    }
    return FileEntriesLayer.builder()
        .setName(target.substring(1))
        .addEntryRecursive(source, AbsoluteUnixPath.get(target))
        .build();
  }
}
