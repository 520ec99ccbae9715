package io.hexgate.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operator's Deployment, described once: the CSV's install strategy, deploy/ and the chart all render
 * this spec; and the Service {@value Names#RELAY_SERVICE} in front of its Hubble relay, which the bundle, deploy/
 * and the chart all ship.
 */
final class OperatorDeployment {
  private OperatorDeployment() {}

  static final String CONTAINER = "operator";
  static final String METRICS_PORT_NAME = "metrics";
  static final String RELAY_PORT_NAME = "hubble-relay";

  static Map<String, String> selector() {
    return Map.of("app.kubernetes.io/name", "hexgate", "app.kubernetes.io/component", "operator");
  }

  /** The whole Deployment object, as deploy/ and the chart ship it. */
  static ObjectNode object(OperatorSettings s) {
    ObjectNode d = Yaml.header("apps/v1", "Deployment", Names.OPERATOR, s.namespace(), Names.labels("operator"));
    d.set("spec", spec(s));
    return d;
  }

  /** The DeploymentSpec. */
  static ObjectNode spec(OperatorSettings s) {
    ObjectNode spec = Yaml.object();
    spec.put("replicas", 1);
    spec.putObject("selector").set("matchLabels", Yaml.map(new TreeMap<>(selector())));
    // host-network ports: a surge pod could not start on the node the old one holds them on
    spec.putObject("strategy").put("type", "Recreate");
    ObjectNode template = spec.putObject("template");
    template.putObject("metadata").set("labels", Yaml.map(Names.labels("operator")));
    ObjectNode pod = template.putObject("spec");
    pod.put("serviceAccountName", Names.OPERATOR);
    // The operator is what the node agents reach to learn policy: it must not depend on the pod network
    // (a CNI that enforces Hexgate's own policies, or none yet), and must run on any node, tainted or not.
    pod.put("hostNetwork", true);
    pod.put("dnsPolicy", "ClusterFirstWithHostNet");
    pod.putArray("tolerations").addObject().put("operator", "Exists");
    ObjectNode podSecurity = pod.putObject("securityContext");
    podSecurity.put("runAsNonRoot", true).put("runAsUser", 65532).put("runAsGroup", 65532);
    podSecurity.putObject("seccompProfile").put("type", "RuntimeDefault");
    pod.putArray("containers").add(container(s));
    // the JVM's perf data and the native libraries gRPC unpacks want a writable /tmp
    pod.putArray("volumes").addObject().put("name", "tmp").putObject("emptyDir");
    return spec;
  }

  private static ObjectNode container(OperatorSettings s) {
    ObjectNode c = Yaml.object();
    c.put("name", CONTAINER);
    c.put("image", s.image());
    c.put("imagePullPolicy", s.pullPolicy());
    ArrayNode args = c.putArray("args");
    args.add("operator");
    args.add("--metrics-port=" + s.metricsPort().asText());
    args.add("--relay-port=" + s.relayPort().asText());
    ArrayNode env = c.putArray("env");
    env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
    env.add(fieldRef("POD_IP", "status.podIP"));
    // OLM's convention for operand images (relatedImages mirrors it): the agent DaemonSet's default image
    env.addObject().put("name", "RELATED_IMAGE_AGENT").put("value", s.agentImage());
    ArrayNode ports = c.putArray("ports");
    ports.add(port("agents", Yaml.NODES.numberNode(Names.AGENT_PORT)));
    ports.add(port(METRICS_PORT_NAME, s.metricsPort()));
    ports.add(port(RELAY_PORT_NAME, s.relayPort()));
    c.set("resources", s.resources());
    // ready only while this replica leads: only the leader serves the agents
    c.set("readinessProbe", probe("/readyz", 0, 5, 3));
    // served from the start, once the JVM is up: the delay covers a slow start on a busy node
    c.set("livenessProbe", probe("/metrics", 30, 10, 6));
    ObjectNode security = c.putObject("securityContext");
    security.put("allowPrivilegeEscalation", false).put("readOnlyRootFilesystem", true);
    security.putObject("capabilities").putArray("drop").add("ALL");
    c.putArray("volumeMounts").addObject().put("name", "tmp").put("mountPath", "/tmp");
    return c;
  }

  /**
   * Cilium's {@value Names#RELAY_SERVICE}: port {@value Names#RELAY_SERVICE_PORT} to the relay. Only the leading
   * replica is ready, so only it (the one the agents are connected to) gets the relay's clients.
   *
   * @param namespace null in the bundle, whose objects OLM puts in the operator's namespace
   */
  static ObjectNode relayService(String namespace) {
    ObjectNode service = Yaml.header("v1", "Service", Names.RELAY_SERVICE, namespace, Names.labels("operator"));
    ObjectNode spec = service.putObject("spec");
    spec.set("selector", Yaml.map(new TreeMap<>(selector())));
    spec.putArray("ports").addObject()
        .put("name", "grpc").put("protocol", "TCP").put("port", Names.RELAY_SERVICE_PORT).put("targetPort", RELAY_PORT_NAME);
    return service;
  }

  private static ObjectNode fieldRef(String name, String path) {
    ObjectNode e = Yaml.object().put("name", name);
    e.putObject("valueFrom").putObject("fieldRef").put("fieldPath", path);
    return e;
  }

  private static ObjectNode port(String name, JsonNode number) {
    ObjectNode p = Yaml.object().put("name", name);
    p.set("containerPort", number);
    p.set("hostPort", number);
    p.put("protocol", "TCP");
    return p;
  }

  private static ObjectNode probe(String path, int initialDelaySeconds, int periodSeconds, int failureThreshold) {
    ObjectNode p = Yaml.object();
    p.putObject("httpGet").put("path", path).put("port", METRICS_PORT_NAME);
    if (initialDelaySeconds > 0) {
      p.put("initialDelaySeconds", initialDelaySeconds);
    }
    p.put("periodSeconds", periodSeconds).put("failureThreshold", failureThreshold);
    return p;
  }
}
