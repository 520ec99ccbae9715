package io.hexgate.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.zjsonpatch.JsonPatch;
import org.junit.jupiter.api.Test;

class StatusPatchTest {
  private final ObjectMapper json = new ObjectMapper();

  private JsonNode tree(String text) throws Exception {
    return json.readTree(text.replace('\'', '"'));
  }

  @Test
  void shouldHoldOneOperationPerChangedMemberAfterTheResourceVersionPrecondition() throws Exception {
    JsonNode from = tree("{'nodes': {'a': {'ok': true, 'rev': 3}, 'b/x': {'ok': true}}, 'flows': {'allowed': 1}, 'conditions': [{'type': 'Valid'}]}");
    JsonNode to = tree("{'nodes': {'a': {'ok': true, 'rev': 4}, 'c': {'ok': false}}, 'flows': {'allowed': 1}, 'conditions': [{'type': 'Valid'}]}");
    assertThat(StatusPatch.of("7", "/status", from, to))
        .isEqualTo(
            tree(
                """
                [{'op': 'replace', 'path': '/metadata/resourceVersion', 'value': '7'},
                 {'op': 'replace', 'path': '/status/nodes/a/rev', 'value': 4},
                 {'op': 'add', 'path': '/status/nodes/c', 'value': {'ok': false}},
                 {'op': 'remove', 'path': '/status/nodes/b~1x'}]
                """));
  }

  @Test
  void shouldTurnTheOldStatusIntoTheNewOneAndBeEmptyWhenNothingChanged() throws Exception {
    JsonNode from = tree("{'conditions': [{'type': 'Valid', 'status': 'True'}], 'x': 1, 'gone': {'y': 2}}");
    JsonNode to = tree("{'conditions': [{'type': 'Valid', 'status': 'False'}], 'x': 1, 'nodes': {'n': {}}}");
    JsonNode object = json.createObjectNode().put("kind", "CiliumNetworkPolicy").set("status", from);
    ((com.fasterxml.jackson.databind.node.ObjectNode) object).putObject("metadata").put("resourceVersion", "7");
    JsonNode patched = JsonPatch.apply(StatusPatch.of("7", "/status", from, to), object);
    assertThat(patched.get("status")).isEqualTo(to);
    assertThat(StatusPatch.of("7", "/status", to, to)).isEmpty();
  }

  @Test
  void shouldAddTheWholeStatusWhenThereWasNone() throws Exception {
    JsonNode to = tree("{'observedGeneration': 1}");
    assertThat(StatusPatch.of(null, "/status", null, to))
        .isEqualTo(tree("[{'op': 'add', 'path': '/status', 'value': {'observedGeneration': 1}}]"));
  }
}
