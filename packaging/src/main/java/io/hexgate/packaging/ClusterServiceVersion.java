package io.hexgate.packaging;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;

/** The bundle's ClusterServiceVersion: what OLM shows of Hexgate and how it installs the operator. */
final class ClusterServiceVersion {
  private ClusterServiceVersion() {}

  /** Fixed, so that regenerating an unchanged bundle changes nothing; set when the version changes. */
  static final String CREATED_AT = "2026-12-06T00:00:00Z";

  static final String DESCRIPTION =
      """
      Hexgate enforces Kubernetes network policy by identity, with Cilium's own API: it reads
      **CiliumNetworkPolicy** and **CiliumClusterwideNetworkPolicy** objects (and Kubernetes NetworkPolicy)
      unchanged and enforces them on every node with eBPF.

      ## How it works
      * The **operator** (this Deployment) watches pods, namespaces, services and policies, allocates a
        security identity per set of pod labels (CiliumIdentity, CiliumEndpoint) and computes each node's
        policy.
      * The **node agents** (a DaemonSet the operator makes from the `HexgateConfig` named `default`) load the
        eBPF programs and enforce what the operator sends them over mutual TLS. They hold no Kubernetes
        credentials: each gets its node certificate once, with a bound ServiceAccount token that has no RBAC.
      * Each policy's status says on how many nodes it is enforced.
      * Flows as Hubble shows them: the operator's **Hubble relay** (Service `hubble-relay`, port 80) serves
        every node's flows to the stock `hubble` CLI; the agents serve Hubble's metrics on port 9965.

      ## After installing
      Create the `HexgateConfig` named `default` (the example offered here); the agents start on every node.
      Then apply CiliumNetworkPolicies as with Cilium, e.g. the Star Wars demo's `rule1`.

      ## Not beside Cilium
      Hexgate ships the `cilium.io` CRDs it reads and writes. Do not install it on a cluster where Cilium runs:
      both would allocate identities and endpoints and enforce the same policies.
      """;

  static ObjectNode build(Sources sources, OperatorSettings settings) {
    List<ObjectNode> examples = Examples.all(sources);
    ObjectNode csv = Yaml.header("operators.coreos.com/v1alpha1", "ClusterServiceVersion", Names.CSV_NAME, "placeholder", null);
    ObjectNode metadata = (ObjectNode) csv.get("metadata");
    ObjectNode annotations = Yaml.object();
    ArrayNode almExamples = Yaml.array();
    examples.forEach(almExamples::add);
    annotations.put("alm-examples", Yaml.json(almExamples));
    annotations.put("capabilities", "Basic Install");
    annotations.put("categories", "Networking, Security");
    annotations.put("containerImage", settings.image());
    annotations.put("createdAt", CREATED_AT);
    annotations.put("description", "Identity-aware network policy: enforces CiliumNetworkPolicy on every node with eBPF.");
    ArrayNode internal = Yaml.array();
    sources.crds().stream().filter(c -> OwnedApi.of(c).internal()).forEach(c -> internal.add(c.name()));
    annotations.put("operators.operatorframework.io/internal-objects", Yaml.json(internal).replaceAll("\\s+", ""));
    annotations.put("operatorframework.io/suggested-namespace", Names.NAMESPACE);
    annotations.put("repository", Names.REPOSITORY);
    annotations.put("support", "Hexgate maintainers");
    metadata.set("annotations", annotations);
    ObjectNode labels = metadata.putObject("labels");
    labels.put("operatorframework.io/arch.amd64", "supported");
    labels.put("operatorframework.io/os.linux", "supported");

    ObjectNode spec = csv.putObject("spec");
    spec.put("displayName", "Hexgate");
    spec.put("description", DESCRIPTION);
    spec.put("version", Names.VERSION);
    spec.put("minKubeVersion", Names.MIN_KUBE_VERSION);
    spec.put("maturity", "alpha");
    spec.putObject("provider").put("name", "Hexgate");
    spec.putArray("maintainers").addObject().put("name", "Hexgate maintainers").put("email", "maintainers@hexgate.io");
    spec.putArray("links").addObject().put("name", "Source code").put("url", Names.REPOSITORY);
    ArrayNode keywords = spec.putArray("keywords");
    List.of("network policy", "cilium", "ciliumnetworkpolicy", "ebpf", "security", "identity").forEach(keywords::add);
    spec.putArray("icon").addObject().put("base64data", icon()).put("mediatype", "image/svg+xml");
    spec.set("installModes", installModes());
    spec.set("install", install(sources, settings));
    spec.putObject("customresourcedefinitions").set("owned", owned(sources, examples));
    ArrayNode related = spec.putArray("relatedImages");
    related.addObject().put("name", "hexgate-operator").put("image", settings.image());
    related.addObject().put("name", "hexgate-agent").put("image", settings.agentImage());
    return csv;
  }

  /**
   * The operator works cluster-wide whatever the OperatorGroup says (its ClusterRole is granted either way),
   * so only the two modes whose target is honest are offered: all namespaces, and its own namespace (where
   * OLM then keeps its namespaced rights, the CA Secret and the Lease, in that namespace instead of turning
   * them into ClusterRoles). Single- or multi-namespace targets would promise enforcement limited to them.
   */
  private static ArrayNode installModes() {
    ArrayNode modes = Yaml.array();
    modes.addObject().put("type", "OwnNamespace").put("supported", true);
    modes.addObject().put("type", "SingleNamespace").put("supported", false);
    modes.addObject().put("type", "MultiNamespace").put("supported", false);
    modes.addObject().put("type", "AllNamespaces").put("supported", true);
    return modes;
  }

  private static ObjectNode install(Sources sources, OperatorSettings settings) {
    ObjectNode install = Yaml.object();
    install.put("strategy", "deployment");
    ObjectNode spec = install.putObject("spec");
    ObjectNode deployment = spec.putArray("deployments").addObject();
    deployment.put("name", Names.OPERATOR);
    deployment.set("label", Yaml.map(Names.labels("operator")));
    deployment.set("spec", OperatorDeployment.spec(settings));
    spec.putArray("permissions").addObject().put("serviceAccountName", Names.OPERATOR).set("rules", sources.namespacedRules().deepCopy());
    spec.putArray("clusterPermissions").addObject().put("serviceAccountName", Names.OPERATOR).set("rules", sources.clusterRules().deepCopy());
    return install;
  }

  private static ArrayNode owned(Sources sources, List<ObjectNode> examples) {
    ArrayNode owned = Yaml.array();
    for (Crd crd : sources.crds()) {
      OwnedApi api = OwnedApi.of(crd);
      ObjectNode o = owned.addObject();
      o.put("name", crd.name());
      o.put("version", crd.storageVersion());
      o.put("kind", crd.kind());
      o.put("displayName", api.displayName());
      o.put("description", api.description());
      ArrayNode resources = o.putArray("resources");
      for (OwnedApi.Resource r : api.resources()) {
        ObjectNode res = resources.addObject().put("kind", r.kind());
        if (r.name() != null) {
          res.put("name", r.name());
        }
        res.put("version", r.version());
      }
      Examples.of(crd, examples).ifPresent(example -> {
        o.set("specDescriptors", Descriptors.spec(crd, example));
        ArrayNode status = Descriptors.status(crd);
        if (!status.isEmpty()) {
          o.set("statusDescriptors", status);
        }
      });
    }
    return owned;
  }

  private static String icon() {
    try (InputStream in = ClusterServiceVersion.class.getResourceAsStream("icon.svg")) {
      return Base64.getEncoder().encodeToString(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
