package io.hexgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OLM's own validators (operator-sdk bundle validate with the operatorframework suite) accept bundle/, and
 * reject it once broken; plus the checks they leave out (image labels, CSV name), in {@link BundleConsistency}.
 */
class BundleValidationTest {
  private static final String CSV = "manifests/" + Names.PACKAGE + ".clusterserviceversion.yaml";

  @TempDir Path tmp;

  @Test
  void operatorSdkAcceptsTheBundle() throws Exception {
    Validation v = validate(Repo.root().resolve("bundle"));
    // the warnings are known and accepted: printed so that a new one is seen
    v.warnings().forEach(w -> System.out.println("operator-sdk bundle validate: " + w));
    assertThat(v.errors()).as(v.output()).isEmpty();
    assertThat(v.exitCode()).as(v.output()).isZero();
  }

  @Test
  void operatorSdkRejectsAVersionThatIsNotSemver() throws Exception {
    Path bundle = copy();
    replaceInCsv(bundle, "\n  version: " + Names.VERSION + "\n", "\n  version: 0.1.0.0\n");
    Validation v = validate(bundle);
    assertThat(v.exitCode()).as(v.output()).isNotZero();
    assertThat(v.output()).contains("unable to parse CSV").contains("patch number");
  }

  @Test
  void operatorSdkRejectsAnOwnedCrdWhoseFileIsMissing() throws Exception {
    Path bundle = copy();
    Files.delete(bundle.resolve("manifests/ciliumnetworkpolicies.cilium.io.crd.yaml"));
    Validation v = validate(bundle);
    assertThat(v.exitCode()).as(v.output()).isNotZero();
    assertThat(v.errors()).anySatisfy(e -> assertThat(e).contains("owned CRD").contains("Kind=CiliumNetworkPolicy").contains("not found in bundle"));
  }

  @Test
  void theImageLabelsAndTheCsvNameAgreeWithTheAnnotations() throws IOException {
    assertThat(BundleConsistency.problems(Repo.root().resolve("bundle"))).isEmpty();
  }

  @Test
  void anAnnotationTheDockerfileDisagreesWithIsFound() throws IOException {
    Path bundle = copy();
    Path annotations = bundle.resolve("metadata/annotations.yaml");
    Files.writeString(annotations, Files.readString(annotations).replace("channels.v1: stable", "channels.v1: fast"));
    assertThat(BundleConsistency.problems(bundle))
        .containsExactly("operators.operatorframework.io.bundle.channels.v1 is fast in metadata/annotations.yaml but stable in bundle.Dockerfile");
  }

  @Test
  void aCsvNamedForAnotherVersionIsFound() throws IOException {
    Path bundle = copy();
    replaceInCsv(bundle, "\n  version: " + Names.VERSION + "\n", "\n  version: 0.2.0\n");
    assertThat(BundleConsistency.problems(bundle))
        .containsExactly("the CSV is named hexgate-operator.v0.1.0 but package hexgate-operator at version 0.2.0 makes it hexgate-operator.v0.2.0");
  }

  private record Validation(int exitCode, String output, List<String> errors, List<String> warnings) {}

  private static Validation validate(Path bundle) throws Exception {
    OlmTools.Run run = OlmTools.run(bundle.getParent(), OlmTools.command(OlmTools.operatorSdk(),
        "bundle", "validate", bundle.toString(), "--select-optional", "suite=operatorframework", "-o", "json-alpha1"));
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    int start = run.output().indexOf('{');
    if (start >= 0) {
      JsonNode result = new ObjectMapper().readTree(run.output().substring(start));
      for (JsonNode o : result.path("outputs")) {
        (o.path("type").asText().equals("error") ? errors : warnings).add(o.path("message").asText());
      }
    }
    return new Validation(run.exitCode(), run.output(), errors, warnings);
  }

  private Path copy() throws IOException {
    Path from = Repo.root().resolve("bundle");
    Path to = tmp.resolve("bundle");
    Repo.copy(from, to);
    return to;
  }

  private static void replaceInCsv(Path bundle, String from, String to) throws IOException {
    Path csv = bundle.resolve(CSV);
    String text = Files.readString(csv);
    assertThat(text).contains(from);
    Files.writeString(csv, text.replace(from, to));
  }
}
