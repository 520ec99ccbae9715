package io.hexgate.lab.container;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The lab's image store: a directory of OCI layout archives ({@code *.tar}, as the {@code images} module
 * writes them), each found by the reference its {@code index.json} tags it with
 * ({@code org.opencontainers.image.ref.name}), or, without one, by its file name
 * ({@code hexgate-agent.oci.tar} for any tag of a repository ending in {@code /hexgate-agent}). An image is
 * unpacked once per manifest digest with {@code umoci unpack} into {@code cacheDir}.
 */
public final class ImageArchives {
  static final String REF_ANNOTATION = "org.opencontainers.image.ref.name";
  /** The tag the lab gives the one manifest of its unpacked copy of a layout: umoci takes no full references. */
  private static final String LAB_TAG = "lab";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration UNPACK_TIME = Duration.ofMinutes(5);

  private final Path archiveDir;
  private final Path cacheDir;
  private final Map<String, UnpackedImage> unpacked = new HashMap<>();

  /** @param archiveDir the archives (may be absent: then no image is found) @param cacheDir where they are unpacked */
  public ImageArchives(Path archiveDir, Path cacheDir) {
    this.archiveDir = archiveDir;
    this.cacheDir = cacheDir;
  }

  /** The archive that holds {@code image}, if this store has one. */
  public Optional<Path> archiveFor(String image) {
    if (image == null || archiveDir == null || !Files.isDirectory(archiveDir)) {
      return Optional.empty();
    }
    String wanted = normalize(image);
    try (Stream<Path> files = Files.list(archiveDir)) {
      List<Path> archives = files.filter(f -> f.getFileName().toString().endsWith(".tar")).sorted().toList();
      for (Path a : archives) {
        Optional<String> ref = refName(a);
        if (ref.isPresent() ? normalize(ref.get()).equals(wanted) : byFileName(a, wanted)) {
          return Optional.of(a);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list the image archives in " + archiveDir + ": " + e.getMessage(), e);
    }
    return Optional.empty();
  }

  /** {@code image} unpacked into a runtime bundle with its config; the same for every pod using it. */
  public synchronized UnpackedImage unpack(String image) throws IOException {
    Path archive = archiveFor(image).orElseThrow(() -> new IllegalArgumentException("no archive in " + archiveDir + " holds " + image));
    JsonNode index = JSON.readTree(readIndex(archive).orThrow().stdout());
    JsonNode manifestRef = index.path("manifests").path(0);
    String digest = manifestRef.path("digest").asText();
    if (!digest.startsWith("sha256:")) {
      throw new IOException(archive + ": index.json names no sha256 manifest");
    }
    UnpackedImage known = unpacked.get(digest);
    if (known != null) {
      return known;
    }
    Path dir = cacheDir.resolve(digest.substring("sha256:".length()));
    Path layout = dir.resolve("layout");
    Path bundle = dir.resolve("bundle");
    Path done = dir.resolve("unpacked");
    if (!Files.exists(done)) {
      FileTrees.delete(dir);
      Files.createDirectories(layout);
      Commands.run(UNPACK_TIME, List.of("tar", "-xf", archive.toString(), "-C", layout.toString())).orThrow();
      ObjectNode ours = JSON.createObjectNode().put("schemaVersion", 2);
      ObjectNode entry = ours.putArray("manifests").addObject();
      entry.setAll((ObjectNode) manifestRef.deepCopy());
      entry.putObject("annotations").put(REF_ANNOTATION, LAB_TAG);
      JSON.writeValue(layout.resolve("index.json").toFile(), ours);
      Commands.run(UNPACK_TIME, List.of("umoci", "unpack", "--image", layout + ":" + LAB_TAG, bundle.toString())).orThrow();
      Files.createFile(done);
    }
    JsonNode manifest = JSON.readTree(blob(layout, digest).toFile());
    JsonNode config = JSON.readTree(blob(layout, manifest.path("config").path("digest").asText()).toFile());
    UnpackedImage u = new UnpackedImage(image, digest, bundle.resolve("rootfs"), ImageConfig.parse(config.path("config")));
    unpacked.put(digest, u);
    return u;
  }

  /** The archive's index.json, whether the tar names it {@code index.json} or {@code ./index.json}. */
  private static Commands.Result readIndex(Path archive) {
    return Commands.run(Duration.ofSeconds(30), List.of("tar", "-xOf", archive.toString(), "--wildcards", "--no-anchored", "--exclude=blobs/*",
        "--exclude=./blobs/*", "index.json"));
  }

  private static Path blob(Path layout, String digest) {
    String[] parts = digest.split(":", 2);
    return layout.resolve("blobs").resolve(parts[0]).resolve(parts[1]);
  }

  private static Optional<String> refName(Path archive) {
    Commands.Result r = readIndex(archive);
    if (!r.ok()) {
      return Optional.empty(); // not an OCI layout archive
    }
    try {
      String ref = JSON.readTree(r.stdout()).path("manifests").path(0).path("annotations").path(REF_ANNOTATION).asText("");
      return ref.isEmpty() ? Optional.empty() : Optional.of(ref);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** An archive without a reference holds the repository its file is named after, whatever the tag. */
  private static boolean byFileName(Path archive, String wanted) {
    String name = archive.getFileName().toString().replaceFirst("(\\.oci)?\\.tar$", "");
    String repository = wanted.replaceFirst("[:@].*$", "");
    return repository.equals(name) || repository.endsWith("/" + name);
  }

  /**
   * A reference the way a registry reads it: lower case, Docker Hub's implicit host and {@code library/}
   * made explicit, {@code :latest} when no tag is given, and any digest dropped (the lab has one copy of each).
   */
  static String normalize(String image) {
    String r = image.trim().toLowerCase(Locale.ROOT);
    int at = r.indexOf('@');
    if (at >= 0) {
      r = r.substring(0, at);
    }
    int slash = r.lastIndexOf('/');
    if (r.lastIndexOf(':') <= slash) {
      r = r + ":latest";
    }
    int first = r.indexOf('/');
    String host = first < 0 ? "" : r.substring(0, first);
    if (first < 0 || !(host.contains(".") || host.contains(":") || host.equals("localhost"))) {
      r = "docker.io/" + (first < 0 ? "library/" : "") + r;
    }
    return r;
  }
}
