package io.hexgate.lab.container;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** What an image's config says about running it: the part of the OCI image config a runtime reads. */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user) {
  static ImageConfig parse(JsonNode config) {
    return new ImageConfig(strings(config.path("Entrypoint")), strings(config.path("Cmd")), strings(config.path("Env")),
        config.path("WorkingDir").asText(""), config.path("User").asText(""));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }
}
