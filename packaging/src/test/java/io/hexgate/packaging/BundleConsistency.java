package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What OLM's validators do not check about a bundle directory and a catalog still relies on: the
 * bundle.Dockerfile's LABELs (what a catalog reads from the bundle image) say what metadata/annotations.yaml
 * says (what it reads from a directory), and the CSV's name is the package's name and the CSV's version.
 */
final class BundleConsistency {
  private BundleConsistency() {}

  static List<String> problems(Path bundle) throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, String> annotations = new LinkedHashMap<>();
    Yaml.read(bundle.resolve("metadata/annotations.yaml")).path("annotations").fields()
        .forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
    Map<String, String> labels = dockerfileLabels(bundle.resolve("bundle.Dockerfile"));
    TreeSet<String> keys = new TreeSet<>(annotations.keySet());
    keys.addAll(labels.keySet());
    for (String key : keys) {
      String a = annotations.get(key);
      String l = labels.get(key);
      if (a == null) {
        problems.add("bundle.Dockerfile labels " + key + "=" + l + ", which metadata/annotations.yaml lacks");
      } else if (l == null) {
        problems.add("metadata/annotations.yaml has " + key + "=" + a + ", which bundle.Dockerfile does not label");
      } else if (!a.equals(l)) {
        problems.add(key + " is " + a + " in metadata/annotations.yaml but " + l + " in bundle.Dockerfile");
      }
    }
    String pkg = annotations.get("operators.operatorframework.io.bundle.package.v1");
    try (var files = Files.list(bundle.resolve("manifests"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".clusterserviceversion.yaml")).toList()) {
        JsonNode csv = Yaml.read(f);
        String expected = pkg + ".v" + csv.path("spec").path("version").asText();
        String name = csv.path("metadata").path("name").asText();
        if (!name.equals(expected)) {
          problems.add("the CSV is named " + name + " but package " + pkg + " at version "
              + csv.path("spec").path("version").asText() + " makes it " + expected);
        }
      }
    }
    return problems;
  }

  /** {@code LABEL key=value} lines, one label a line, as the generator writes them. */
  private static Map<String, String> dockerfileLabels(Path dockerfile) throws IOException {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dockerfile)) {
      String l = line.strip();
      if (l.startsWith("LABEL ")) {
        String kv = l.substring("LABEL ".length()).strip();
        int eq = kv.indexOf('=');
        labels.put(kv.substring(0, eq), unquote(kv.substring(eq + 1)));
      }
    }
    return labels;
  }

  private static String unquote(String v) {
    return v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
  }
}
