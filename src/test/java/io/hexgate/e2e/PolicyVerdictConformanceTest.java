package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.hexgate.cli.HexgateCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import io.hexgate.operator.RepoRoot;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives every check of the shared policy-verdict corpus through {@code hexgate policy trace --offline},
 * as the corpus's own runner does, but in-process: one dynamic test per check.
 */
class PolicyVerdictConformanceTest {
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir Path tmp;

  @TestFactory
  Stream<DynamicTest> everyCheckOfTheCorpusGetsTheDocumentedVerdict() throws IOException {
    Path corpus = RepoRoot.find().resolve("../shared/conformance/policy-verdicts").normalize();
    assumeTrue(Files.isDirectory(corpus), "conformance corpus not found at " + corpus + " (it sits beside the checkout in CI)");
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> files = Files.list(corpus)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        JsonNode c = YAML.readTree(f.toFile());
        Path dir = Files.createDirectories(tmp.resolve(c.get("name").asText()));
        writeInputs(c, dir);
        int i = 0;
        for (JsonNode chk : c.path("checks")) {
          String name = c.get("name").asText() + " #" + i++ + ": " + chk.get("from").asText() + " -> "
              + chk.get("to").asText() + " " + chk.path("port").asText("0") + "/" + chk.path("protocol").asText("TCP")
              + (chk.has("http") ? " " + chk.get("http") : "") + " expect " + chk.get("expect").asText();
          tests.add(DynamicTest.dynamicTest(name, () -> check(dir, chk)));
        }
      }
    }
    return tests.stream();
  }

  private static void check(Path dir, JsonNode chk) {
    List<String> args = new ArrayList<>(List.of("policy", "trace", "--offline", "-f", dir.toString(),
        "--src", chk.get("from").asText(), "--dst", chk.get("to").asText(),
        "--dport", chk.path("port").asText("0") + "/" + chk.path("protocol").asText("TCP").toLowerCase()));
    JsonNode http = chk.get("http");
    if (http != null) {
      if (http.has("method")) {
        args.addAll(List.of("--http-method", http.get("method").asText()));
      }
      if (http.has("path")) {
        args.addAll(List.of("--http-path", http.get("path").asText()));
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = http.path("headers").fields(); it.hasNext(); ) {
        var h = it.next();
        args.addAll(List.of("--http-header", h.getKey() + ": " + h.getValue().asText()));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    int rc;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      rc = HexgateCli.commandLine().execute(args.toArray(String[]::new));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
    String stdout = out.toString(StandardCharsets.UTF_8);
    assertThat(rc).as("exit code; stderr: %s", err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(stdout.lines().filter(l -> l.startsWith("Final verdict: ")).toList())
        .as(stdout)
        .containsExactly("Final verdict: " + chk.get("expect").asText());
  }

  /** Writes the case's namespaces and pods as manifests, and its policies verbatim, as the runner does. */
  private static void writeInputs(JsonNode c, Path dir) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    for (JsonNode ns : c.path("namespaces")) {
      ObjectNode d = YAML.createObjectNode().put("apiVersion", "v1").put("kind", "Namespace");
      d.putObject("metadata").put("name", ns.get("name").asText()).set("labels", ns.path("labels").deepCopy());
      docs.add(d);
    }
    for (JsonNode p : c.path("pods")) {
      ObjectNode d = YAML.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
      ObjectNode meta = d.putObject("metadata").put("name", p.get("name").asText()).put("namespace", p.get("namespace").asText());
      meta.set("labels", p.path("labels").isMissingNode() ? YAML.createObjectNode() : p.get("labels").deepCopy());
      ObjectNode container = YAML.createObjectNode().put("name", "main").put("image", "example");
      if (p.has("ports")) {
        ArrayNode ports = container.putArray("ports");
        p.get("ports").fields().forEachRemaining(e -> ports.addObject().put("name", e.getKey()).put("containerPort", e.getValue().asInt()));
      }
      d.putObject("spec").putArray("containers").add(container);
      d.putObject("status").put("phase", "Running").put("podIP", p.get("ip").asText());
      docs.add(d);
    }
    StringBuilder b = new StringBuilder();
    for (JsonNode d : docs) {
      b.append(YAML.writeValueAsString(d));
    }
    Files.writeString(dir.resolve("objects.yaml"), b.toString());
    Files.writeString(dir.resolve("policies.yaml"), c.path("policies").asText(""));
  }
}
