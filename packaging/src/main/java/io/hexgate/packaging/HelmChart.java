package io.hexgate.packaging;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * charts/hexgate: the objects of deploy/ as templates. They are the same objects, rendered from settings whose
 * values are markers that become template expressions, so that {@code helm template} with the default values
 * gives back deploy/'s objects exactly.
 */
final class HelmChart {
  private HelmChart() {}

  static final String DIR = "charts/hexgate/";

  private static final OperatorSettings MARKED =
      new OperatorSettings("@@namespace@@", "@@image@@", "@@agentImage@@", "@@pullPolicy@@",
          TextNode.valueOf("@@resources@@"), TextNode.valueOf("@@metricsPort@@"), TextNode.valueOf("@@relayPort@@"));
  private static final String METRICS_ON = ".Values.metrics.enabled";
  private static final String RELAY_ON = ".Values.hubble.relay.enabled";

  /** Marker → the expression for a whole YAML scalar. */
  private static final Map<String, String> SCALARS = new LinkedHashMap<>();
  /** Marker → the expression inside a longer string. */
  private static final Map<String, String> INLINE = new LinkedHashMap<>();

  static {
    SCALARS.put("@@namespace@@", "{{ .Release.Namespace }}");
    SCALARS.put("@@image@@", "\"{{ .Values.operator.image.repository }}:{{ .Values.operator.image.tag }}\"");
    SCALARS.put("@@agentImage@@", "\"{{ .Values.agent.image.repository }}:{{ .Values.agent.image.tag }}\"");
    SCALARS.put("@@pullPolicy@@", "{{ .Values.operator.image.pullPolicy }}");
    SCALARS.put("@@metricsPort@@", "{{ .Values.metrics.port }}");
    SCALARS.put("@@relayPort@@", "{{ .Values.hubble.relay.listenPort }}");
    INLINE.put("@@metricsPort@@", "{{ if " + METRICS_ON + " }}{{ .Values.metrics.port }}{{ else }}0{{ end }}");
    INLINE.put("@@relayPort@@", "{{ if " + RELAY_ON + " }}{{ .Values.hubble.relay.listenPort }}{{ else }}0{{ end }}");
  }

  /** Every file of the chart, by its path under the repository. */
  static Map<String, String> files(Sources sources, String header) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(DIR + "Chart.yaml", header + chartYaml());
    files.put(DIR + "values.yaml", header + values(sources));
    for (Crd crd : sources.crds()) {
      files.put(DIR + "crds/" + crd.name() + ".yaml", header + Yaml.write(crd.labelled()));
    }
    List<ObjectNode> rbac = OperatorRbac.objects(sources, MARKED.namespace());
    for (ObjectNode o : rbac) {
      files.put(DIR + "templates/" + o.path("kind").asText().toLowerCase() + ".yaml", header + template(Yaml.write(o)));
    }
    files.put(DIR + "templates/deployment.yaml", header + deployment());
    files.put(DIR + "templates/" + Names.RELAY_SERVICE + "-service.yaml", header
        + "{{- if " + RELAY_ON + " }}\n" + template(Yaml.write(OperatorDeployment.relayService(MARKED.namespace()))) + "{{- end }}\n");
    Examples.hexgateConfig(sources).ifPresent(config -> files.put(DIR + "templates/hexgateconfig.yaml", header + hexgateConfig(config)));
    // a template comment: a YAML one would render as a document holding no object
    files.put(DIR + "templates/refuse-beside-cilium.yaml", "{{- /* " + header.substring(2).strip() + " */}}\n" + refuseBesideCilium(sources));
    return files;
  }

  private static String chartYaml() {
    ObjectNode chart = Yaml.object();
    chart.put("apiVersion", "v2");
    chart.put("name", "hexgate");
    chart.put("description", "Identity-aware network policy: enforces CiliumNetworkPolicy on every node with eBPF.");
    chart.put("type", "application");
    chart.put("version", Names.VERSION);
    chart.put("appVersion", Names.VERSION);
    chart.put("kubeVersion", ">=" + Names.MIN_KUBE_VERSION + "-0");
    chart.put("home", Names.REPOSITORY);
    chart.putArray("sources").add(Names.REPOSITORY);
    chart.putArray("keywords").add("network policy").add("cilium").add("ebpf").add("security");
    chart.putArray("maintainers").addObject().put("name", "Hexgate maintainers").put("email", "maintainers@hexgate.io");
    return Yaml.write(chart);
  }

  private static String values(Sources sources) {
    OperatorSettings shipped = OperatorSettings.shipped();
    String[] operatorImage = shipped.image().split(":", 2);
    String[] agentImage = shipped.agentImage().split(":", 2);
    StringBuilder v = new StringBuilder();
    v.append("operator:\n");
    v.append("  image:\n");
    v.append("    repository: ").append(operatorImage[0]).append('\n');
    v.append("    tag: \"").append(operatorImage[1]).append("\"\n");
    v.append("    pullPolicy: ").append(shipped.pullPolicy()).append('\n');
    v.append("  # requests and limits of the operator's container\n");
    v.append("  resources:\n").append(indent(Yaml.write(shipped.resources()), 4));
    v.append("\n# The node agents' image: the operator gives it to the agent DaemonSet it makes (env RELATED_IMAGE_AGENT).\n");
    v.append("agent:\n");
    v.append("  image:\n");
    v.append("    repository: ").append(agentImage[0]).append('\n');
    v.append("    tag: \"").append(agentImage[1]).append("\"\n");
    v.append("\n# The operator's Prometheus metrics (/metrics) and readiness (/readyz) on this port of its node\n");
    v.append("# (host network). Disabled, the operator serves neither and has no probes.\n");
    v.append("metrics:\n");
    v.append("  enabled: true\n");
    v.append("  port: ").append(shipped.metricsPort().asText()).append('\n');
    v.append("\n# The operator's Hubble relay: every node's flows for the hubble CLI and Hubble UI, in plaintext gRPC as\n");
    v.append("# Hubble Relay serves them, on this port of the operator's node (host network) and behind the Service\n");
    v.append("# ").append(Names.RELAY_SERVICE).append(" (port ").append(Names.RELAY_SERVICE_PORT)
        .append("): kubectl port-forward -n NAMESPACE svc/").append(Names.RELAY_SERVICE).append(" 4245:").append(Names.RELAY_SERVICE_PORT)
        .append(", then hubble observe.\n");
    v.append("# Disabled, the operator serves no relay and the Service is not created.\n");
    v.append("hubble:\n");
    v.append("  relay:\n");
    v.append("    enabled: true\n");
    v.append("    listenPort: ").append(shipped.relayPort().asText()).append('\n');
    Examples.hexgateConfig(sources).ifPresent(config -> {
      v.append("\n# The HexgateConfig named default, from which the operator deploys the node agents (their resources,\n");
      v.append("# and the rest of its spec: kubectl explain hexgateconfig.spec). Not created, no agent runs until one is.\n");
      v.append("hexgateConfig:\n");
      v.append("  create: true\n");
      if (config.path("spec").isEmpty()) {
        v.append("  spec: {}\n");
      } else {
        v.append("  spec:\n").append(indent(Yaml.write(config.get("spec")), 4));
      }
    });
    return v.toString();
  }

  private static String deployment() {
    String text = template(Yaml.write(OperatorDeployment.object(MARKED)));
    text = wrap(text, "- name: " + OperatorDeployment.METRICS_PORT_NAME, METRICS_ON);
    text = wrap(text, "- name: " + OperatorDeployment.RELAY_PORT_NAME, RELAY_ON);
    text = wrap(text, "readinessProbe:", METRICS_ON);
    text = wrap(text, "livenessProbe:", METRICS_ON);
    Matcher m = Pattern.compile("(?m)^( *)resources: [\"']?@@resources@@[\"']?$").matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("the Deployment has no resources to template");
    }
    return m.replaceFirst(m.group(1) + "resources:\n{{- toYaml .Values.operator.resources | nindent " + (m.group(1).length() + 2) + " }}");
  }

  private static String hexgateConfig(ObjectNode config) {
    ObjectNode withoutSpec = config.deepCopy();
    withoutSpec.remove("spec");
    return "{{- if .Values.hexgateConfig.create }}\n"
        + Yaml.write(withoutSpec)
        + "spec:\n{{- toYaml .Values.hexgateConfig.spec | nindent 2 }}\n"
        + "{{- end }}\n";
  }

  /**
   * Renders nothing, or fails the install: when Cilium runs on the cluster (it registers ciliumnodes, which
   * Hexgate does not ship), or when a cilium.io CRD Hexgate ships exists without Hexgate's label. (Helm 3
   * keeps an existing CRD as it is, so another installer's would stay under Hexgate; Helm 4 server-side
   * applies crds/ first, failing on a conflict with another manager's fields, and relabels the CRD if not.)
   */
  private static String refuseBesideCilium(Sources sources) {
    List<String> cilium = new ArrayList<>();
    sources.crds().stream().filter(c -> c.group().equals("cilium.io")).forEach(c -> cilium.add('"' + c.name() + '"'));
    String crd = "\"apiextensions.k8s.io/v1\" \"CustomResourceDefinition\" \"\"";
    return "{{- if lookup " + crd + " \"ciliumnodes.cilium.io\" }}\n"
        + "{{- fail \"Cilium runs on this cluster (CRD ciliumnodes.cilium.io exists): Hexgate enforces the same policies and"
        + " would write the same cilium.io objects; it does not install beside Cilium\" }}\n"
        + "{{- end }}\n"
        + "{{- range $name := list " + String.join(" ", cilium) + " }}\n"
        + "{{- $existing := lookup " + crd + " $name }}\n"
        + "{{- if and $existing (ne (dig \"metadata\" \"labels\" \"" + Names.PART_OF + "\" \"\" $existing) \"hexgate\") }}\n"
        + "{{- fail (printf \"CRD %s exists and was not installed by Hexgate (no label " + Names.PART_OF
        + "=hexgate): Hexgate does not take over another installer's cilium.io CRDs\" $name) }}\n"
        + "{{- end }}\n"
        + "{{- end }}\n";
  }

  private static String template(String yaml) {
    String out = yaml;
    for (Map.Entry<String, String> e : SCALARS.entrySet()) {
      out = out.replace("\"" + e.getKey() + "\"", e.getValue()).replace("'" + e.getKey() + "'", e.getValue());
    }
    for (Map.Entry<String, String> e : INLINE.entrySet()) {
      out = out.replace(e.getKey(), e.getValue());
    }
    for (String marker : SCALARS.keySet()) {
      if (out.contains(marker) && !marker.equals("@@resources@@")) {
        throw new IllegalStateException(marker + " left unreplaced in a template:\n" + out);
      }
    }
    return out;
  }

  /** Puts the block starting at the line {@code first} (and its more indented lines) under {@code condition}. */
  private static String wrap(String text, String first, String condition) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.strip().equals(first)) {
        int indent = line.length() - line.stripLeading().length();
        int end = i + 1;
        while (end < lines.size() && !lines.get(end).isBlank()
            && lines.get(end).length() - lines.get(end).stripLeading().length() > indent) {
          end++;
        }
        lines.add(end, "{{- end }}");
        lines.add(i, "{{- if " + condition + " }}");
        return String.join("\n", lines);
      }
    }
    throw new IllegalStateException("no line " + first + " in the Deployment");
  }

  private static String indent(String yaml, int spaces) {
    String pad = " ".repeat(spaces);
    StringBuilder out = new StringBuilder();
    for (String line : yaml.split("\n")) {
      out.append(pad).append(line).append('\n');
    }
    return out.toString();
  }
}
