package io.hexgate.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code annotations:} map of an OLM bundle's {@code metadata/annotations.yaml}. */
final class BundleAnnotations {
  private BundleAnnotations() {}

  static Map<String, String> read(Path file) throws IOException {
    JsonNode annotations = new ObjectMapper(new YAMLFactory()).readTree(file.toFile()).path("annotations");
    if (!annotations.isObject() || annotations.isEmpty()) {
      throw new IOException(file + " has no `annotations:` map");
    }
    Map<String, String> labels = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = annotations.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isValueNode()) {
        throw new IOException(file + ": annotation " + e.getKey() + " is not a string");
      }
      labels.put(e.getKey(), e.getValue().asText());
    }
    return labels;
  }
}
