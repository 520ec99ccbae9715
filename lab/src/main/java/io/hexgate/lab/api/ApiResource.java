package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/**
 * One resource type the API serves, built in or from a CustomResourceDefinition version.
 *
 * @param group API group, empty for the core group
 * @param version API version
 * @param kind the kind objects carry
 * @param plural the URL name
 * @param singular the singular name kubectl also accepts
 * @param namespaced whether objects live in a namespace
 * @param shortNames the aliases ({@code cnp}, {@code svc})
 * @param categories groups of types ({@code all}, {@code cilium})
 * @param statusSubresource whether status is written only through {@code /status}
 * @param schema the CRD version's openAPIV3Schema; null for built-ins
 * @param printerColumns the CRD version's additionalPrinterColumns (possibly empty); null for built-ins
 * @param model fabric8's class for a built-in type, used for strict decoding; null for custom resources
 */
public record ApiResource(
    String group,
    String version,
    String kind,
    String plural,
    String singular,
    boolean namespaced,
    List<String> shortNames,
    List<String> categories,
    boolean statusSubresource,
    JsonNode schema,
    JsonNode printerColumns,
    Class<? extends HasMetadata> model) {

  public static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  public String apiVersion() {
    return group.isEmpty() ? version : group + "/" + version;
  }

  /** Whether {@code /scale} reads and sets {@code spec.replicas} (Deployments and ReplicaSets). */
  public boolean scalable() {
    return group.equals("apps") && (kind.equals("Deployment") || kind.equals("ReplicaSet"));
  }

  public boolean custom() {
    return model == null;
  }

  /** {@code ciliumnetworkpolicies.cilium.io}, {@code pods}: how errors name the type. */
  public String qualifiedPlural() {
    return group.isEmpty() ? plural : plural + "." + group;
  }

  /** {@code CiliumNetworkPolicy.cilium.io}, {@code Pod}: how Invalid errors name the type. */
  public String qualifiedKind() {
    return group.isEmpty() ? kind : kind + "." + group;
  }

  /** The collection path, in {@code namespace} when namespaced. */
  public String collectionPath(String namespace) {
    String base = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    return namespaced && namespace != null ? base + "/namespaces/" + namespace + "/" + plural : base + "/" + plural;
  }

  public String itemPath(String namespace, String name) {
    return collectionPath(namespace) + "/" + name;
  }
}
