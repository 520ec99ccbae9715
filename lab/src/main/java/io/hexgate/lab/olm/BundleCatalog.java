package io.hexgate.lab.olm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.hexgate.datapath.netns.Commands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A file-based catalog holding one bundle directory, as a catalog image would serve it: {@code opm render}
 * of the directory (an {@code olm.bundle} whose manifests travel inline as {@code olm.bundle.object}
 * properties, so OLM needs no bundle image and runs no unpack job), with the {@code olm.package} and
 * {@code olm.channel} entries that the bundle's {@code metadata/annotations.yaml} names.
 *
 * @param packageName the bundle's package ({@code operators.operatorframework.io.bundle.package.v1})
 * @param defaultChannel the channel a Subscription follows
 * @param csvName the ClusterServiceVersion the bundle installs
 * @param installModes the install modes the CSV supports ({@code OwnNamespace}, {@code AllNamespaces}...)
 * @param dir the catalog directory {@code opm serve} serves
 */
public record BundleCatalog(String packageName, String defaultChannel, String csvName, List<String> installModes, Path dir) {
  static final String PACKAGE = "operators.operatorframework.io.bundle.package.v1";
  static final String CHANNELS = "operators.operatorframework.io.bundle.channels.v1";
  static final String DEFAULT_CHANNEL = "operators.operatorframework.io.bundle.channel.default.v1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** Renders {@code bundleDir} ({@code manifests/} + {@code metadata/}) into {@code catalogDir}/catalog.json with {@code opm}. */
  public static BundleCatalog render(Path opm, Path bundleDir, Path catalogDir) throws IOException {
    JsonNode annotations = YAML.readTree(bundleDir.resolve("metadata/annotations.yaml").toFile()).path("annotations");
    String pkg = required(annotations, PACKAGE, bundleDir);
    List<String> channels = Arrays.stream(required(annotations, CHANNELS, bundleDir).split(",")).map(String::trim)
        .filter(c -> !c.isEmpty()).toList();
    String defaultChannel = annotations.path(DEFAULT_CHANNEL).asText(channels.get(0));

    Commands.Result rendered = Commands.run(Duration.ofMinutes(2), List.of(opm.toString(), "render", bundleDir.toString(), "-o", "json"));
    if (rendered.exitCode() != 0) {
      throw new IOException("opm render " + bundleDir + " failed (" + rendered.exitCode() + "): " + rendered.stderr().trim());
    }
    JsonNode bundle = JSON.readTree(rendered.stdout());
    String csvName = bundle.path("name").asText();
    if (!"olm.bundle".equals(bundle.path("schema").asText()) || csvName.isEmpty()) {
      throw new IOException("opm render " + bundleDir + " printed no olm.bundle: " + rendered.stdout());
    }

    StringBuilder catalog = new StringBuilder();
    ObjectNode packageEntry = JSON.createObjectNode().put("schema", "olm.package").put("name", pkg).put("defaultChannel", defaultChannel);
    catalog.append(JSON.writeValueAsString(packageEntry)).append('\n');
    for (String channel : channels) {
      ObjectNode entry = JSON.createObjectNode().put("schema", "olm.channel").put("package", pkg).put("name", channel);
      entry.putArray("entries").addObject().put("name", csvName);
      catalog.append(JSON.writeValueAsString(entry)).append('\n');
    }
    catalog.append(JSON.writeValueAsString(bundle)).append('\n');
    Files.createDirectories(catalogDir);
    Files.writeString(catalogDir.resolve("catalog.json"), catalog, StandardCharsets.UTF_8);
    return new BundleCatalog(pkg, defaultChannel, csvName, installModes(bundleDir), catalogDir);
  }

  private static String required(JsonNode annotations, String key, Path bundleDir) throws IOException {
    String v = annotations.path(key).asText("").trim();
    if (v.isEmpty()) {
      throw new IOException(bundleDir.resolve("metadata/annotations.yaml") + " has no " + key);
    }
    return v;
  }

  /** The install modes the bundle's CSV marks supported. */
  private static List<String> installModes(Path bundleDir) throws IOException {
    List<String> modes = new ArrayList<>();
    try (Stream<Path> files = Files.list(bundleDir.resolve("manifests"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml")).sorted().toList()) {
        JsonNode doc = YAML.readTree(f.toFile());
        if ("ClusterServiceVersion".equals(doc.path("kind").asText())) {
          for (JsonNode m : doc.path("spec").path("installModes")) {
            if (m.path("supported").asBoolean()) {
              modes.add(m.path("type").asText());
            }
          }
        }
      }
    }
    return modes;
  }

  /** Whether OLM can install the bundle into its own namespace only, rather than for all namespaces. */
  public boolean ownNamespace() {
    return installModes.contains("OwnNamespace");
  }
}
