package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * deploy/ and the bundle put Cilium's Service hubble-relay (port 80) in front of the operator's relay port, as
 * the operator is told to listen on it.
 */
class RelayServiceTest {
  private final List<JsonNode> deploy = read();

  private static List<JsonNode> read() {
    try {
      return Yaml.readAll(Files.readString(Repo.root().resolve("deploy/hexgate.yaml")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private JsonNode object(String kind, String name) {
    return deploy.stream()
        .filter(o -> o.path("kind").asText().equals(kind) && o.path("metadata").path("name").asText().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("deploy/hexgate.yaml has no " + kind + " " + name));
  }

  @Test
  void theServiceReachesThePortTheOperatorIsToldToServeTheRelayOn() {
    JsonNode service = object("Service", "hubble-relay");
    JsonNode deployment = object("Deployment", Names.OPERATOR);
    JsonNode pod = deployment.path("spec").path("template");
    JsonNode container = pod.path("spec").path("containers").get(0);

    JsonNode port = service.path("spec").path("ports").get(0);
    assertThat(port.path("port").asInt()).isEqualTo(80);
    JsonNode target = null;
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(port.path("targetPort").asText())) {
        target = p;
      }
    }
    assertThat(target).as("the container port the Service targets").isNotNull();
    assertThat(target.path("containerPort").asInt()).isEqualTo(4245);
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    assertThat(args).contains("--relay-port=" + target.path("containerPort").asInt());

    // the selector picks the operator's pods
    service.path("spec").path("selector").fields().forEachRemaining(e ->
        assertThat(pod.path("metadata").path("labels").path(e.getKey()).asText()).as(e.getKey()).isEqualTo(e.getValue().asText()));
    assertThat(service.path("metadata").path("namespace").asText()).isEqualTo(Names.NAMESPACE);
  }

  @Test
  void theBundleShipsTheSameServiceForOlmToPutInTheOperatorsNamespace() {
    JsonNode bundled = Yaml.read(Repo.root().resolve("bundle/manifests/hubble-relay.service.yaml"));
    JsonNode plain = object("Service", "hubble-relay").deepCopy();
    ((ObjectNode) plain.path("metadata")).remove("namespace");
    assertThat(bundled).isEqualTo(plain);
  }
}
