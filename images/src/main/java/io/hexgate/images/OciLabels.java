package io.hexgate.images;

import java.util.LinkedHashMap;
import java.util.Map;

/** The OCI annotations every Hexgate JVM image carries as labels. */
final class OciLabels {
  static final String SOURCE = "https://github.com/hexgate-io/hexgate";
  static final String LICENSES = "Apache-2.0";

  private OciLabels() {}

  static Map<String, String> of(String title, String version, String description) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("org.opencontainers.image.title", title);
    labels.put("org.opencontainers.image.description", description);
    labels.put("org.opencontainers.image.version", version);
    labels.put("org.opencontainers.image.source", SOURCE);
    labels.put("org.opencontainers.image.licenses", LICENSES);
    labels.put("org.opencontainers.image.vendor", "Hexgate");
    return labels;
  }
}
