package io.hexgate.packaging;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bundle's metadata/annotations.yaml, the bundle.Dockerfile whose image labels must say the same (a
 * catalog reads the labels of a bundle image, the annotations of a bundle directory), and the scorecard
 * configuration the annotations point at.
 */
final class BundleMetadata {
  private BundleMetadata() {}

  /** The scorecard-test image of the operator-sdk release scripts/ensure-olm-tools.sh builds. */
  static final String SCORECARD_IMAGE = "quay.io/operator-framework/scorecard-test:v1.42.3";

  static Map<String, String> annotations() {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("operators.operatorframework.io.bundle.mediatype.v1", "registry+v1");
    a.put("operators.operatorframework.io.bundle.manifests.v1", "manifests/");
    a.put("operators.operatorframework.io.bundle.metadata.v1", "metadata/");
    a.put("operators.operatorframework.io.bundle.package.v1", Names.PACKAGE);
    a.put("operators.operatorframework.io.bundle.channels.v1", Names.CHANNEL);
    a.put("operators.operatorframework.io.bundle.channel.default.v1", Names.CHANNEL);
    a.put("operators.operatorframework.io.test.mediatype.v1", "scorecard+v1");
    a.put("operators.operatorframework.io.test.config.v1", "tests/scorecard/");
    return a;
  }

  static ObjectNode annotationsFile() {
    ObjectNode file = Yaml.object();
    file.set("annotations", Yaml.map(annotations()));
    return file;
  }

  /** Built from bundle/ as its context: {@code cd bundle && docker build -f bundle.Dockerfile .} */
  static String dockerfile() {
    StringBuilder d = new StringBuilder("FROM scratch\n\n");
    annotations().forEach((k, v) -> d.append("LABEL ").append(k).append('=').append(v).append('\n'));
    d.append("\nCOPY manifests /manifests/\nCOPY metadata /metadata/\nCOPY tests/scorecard /tests/scorecard/\n");
    return d.toString();
  }

  /** The basic and olm suites; scorecard runs each test as a pod of the image on a cluster. */
  static ObjectNode scorecard() {
    ObjectNode config = Yaml.object();
    config.put("apiVersion", "scorecard.operatorframework.io/v1alpha3");
    config.put("kind", "Configuration");
    config.putObject("metadata").put("name", "config");
    ArrayNode tests = config.putArray("stages").addObject().put("parallel", true).putArray("tests");
    test(tests, "basic", "basic-check-spec");
    for (String t : List.of("olm-bundle-validation", "olm-crds-have-validation", "olm-crds-have-resources", "olm-spec-descriptors", "olm-status-descriptors")) {
      test(tests, "olm", t);
    }
    return config;
  }

  private static void test(ArrayNode tests, String suite, String name) {
    ObjectNode t = tests.addObject();
    t.putArray("entrypoint").add("scorecard-test").add(name);
    t.put("image", SCORECARD_IMAGE);
    t.putObject("labels").put("suite", suite).put("test", name + "-test");
  }
}
