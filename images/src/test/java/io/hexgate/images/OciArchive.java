package io.hexgate.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads an OCI image layout tar as a runtime would: index.json, the manifest it points at, the config, and
 * the layers applied in order (later layers win; whiteouts are not needed by Hexgate's images).
 */
final class OciArchive {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<String, byte[]> blobs = new HashMap<>();
  private final JsonNode index;
  private final JsonNode manifest;
  private final JsonNode config;
  private final Map<String, TarArchiveEntry> entries = new LinkedHashMap<>();
  private final Map<String, byte[]> contents = new HashMap<>();

  private OciArchive(Path tar, List<String> keep) throws IOException {
    Map<String, byte[]> files = new HashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.isFile()) {
          files.put(e.getName(), in.readAllBytes());
        }
      }
    }
    if (!"1.0.0".equals(JSON.readTree(files.get("oci-layout")).path("imageLayoutVersion").asText())) {
      throw new IOException(tar + " is not an OCI layout");
    }
    files.forEach((name, bytes) -> blobs.put(name, bytes));
    index = JSON.readTree(files.get("index.json"));
    manifest = JSON.readTree(blob(index.path("manifests").path(0).path("digest").asText()));
    config = JSON.readTree(blob(manifest.path("config").path("digest").asText()));
    for (JsonNode layer : manifest.path("layers")) {
      try (TarArchiveInputStream in = new TarArchiveInputStream(
          new GZIPInputStream(new ByteArrayInputStream(blob(layer.path("digest").asText()))))) {
        for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
          String path = "/" + e.getName().replaceFirst("^\\./", "").replaceFirst("/$", "");
          entries.put(path, e);
          if (e.isFile() && keep.stream().anyMatch(path::matches)) {
            contents.put(path, in.readAllBytes());
          }
        }
      }
    }
  }

  /** Opens {@code tar}, keeping the contents of the files whose absolute path matches one of {@code keep}. */
  static OciArchive open(Path tar, String... keep) throws IOException {
    return new OciArchive(tar, List.of(keep));
  }

  private byte[] blob(String digest) throws IOException {
    byte[] b = blobs.get("blobs/" + digest.replace(':', '/'));
    if (b == null) {
      throw new IOException("no blob " + digest);
    }
    return b;
  }

  String refName() {
    return index.path("manifests").path(0).path("annotations").path("org.opencontainers.image.ref.name").asText();
  }

  String manifestDigest() {
    return index.path("manifests").path(0).path("digest").asText();
  }

  int manifestCount() {
    return index.path("manifests").size();
  }

  JsonNode manifest() {
    return manifest;
  }

  /** The image configuration's {@code config} (Entrypoint, Cmd, User, Labels, Env...). */
  JsonNode containerConfig() {
    return config.path("config");
  }

  JsonNode config() {
    return config;
  }

  Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    containerConfig().path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    return labels;
  }

  List<String> strings(String field) {
    List<String> values = new ArrayList<>();
    containerConfig().path(field).forEach(v -> values.add(v.asText()));
    return values;
  }

  Optional<TarArchiveEntry> entry(String path) {
    return Optional.ofNullable(entries.get(path));
  }

  /** Follows symbolic links, absolute or relative, in any component, as the kernel would in the rootfs. */
  Optional<TarArchiveEntry> resolve(String path) {
    Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
    Path done = Path.of("/");
    int links = 0;
    while (!todo.isEmpty()) {
      String part = todo.pop();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        done = done.getParent() == null ? done : done.getParent();
        continue;
      }
      Path next = done.resolve(part);
      TarArchiveEntry e = entries.get(next.toString());
      if (e != null && e.isSymbolicLink()) {
        if (++links > 40) {
          return Optional.empty();
        }
        String[] target = e.getLinkName().split("/");
        for (int i = target.length - 1; i >= 0; i--) {
          todo.push(target[i]);
        }
        if (e.getLinkName().startsWith("/")) {
          done = Path.of("/");
        }
        continue;
      }
      done = next;
    }
    return Optional.ofNullable(entries.get(done.toString()));
  }

  List<String> paths() {
    return List.copyOf(entries.keySet());
  }

  InputStream content(String path) throws IOException {
    byte[] b = contents.get(path);
    if (b == null) {
      throw new IOException(path + " was not kept or is not a file in the image");
    }
    return new ByteArrayInputStream(b);
  }
}
