package io.hexgate.lab.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The resource types served: the built-ins kubectl and the lab use, and one per served CRD version. */
public final class ResourceCatalog {
  private final List<ApiResource> builtIns = new ArrayList<>();
  // CRD name -> the types it defines; replaced whole when the CRD changes
  private final Map<String, List<ApiResource>> custom = new LinkedHashMap<>();
  // replaced whole, so that readers outside the server's lock never see a half-built list
  private volatile List<ApiResource> all = List.of();

  public ResourceCatalog() {
    builtIn("", "v1", "Namespace", "namespaces", false, List.of("ns"), List.of(), true, Namespace.class);
    builtIn("", "v1", "Pod", "pods", true, List.of("po"), List.of("all"), true, Pod.class);
    builtIn("", "v1", "Service", "services", true, List.of("svc"), List.of("all"), true, Service.class);
    builtIn("", "v1", "Endpoints", "endpoints", true, List.of("ep"), List.of(), false, Endpoints.class);
    builtIn("", "v1", "Event", "events", true, List.of("ev"), List.of(), false, Event.class);
    builtIn("", "v1", "ConfigMap", "configmaps", true, List.of("cm"), List.of(), false, ConfigMap.class);
    builtIn("", "v1", "Secret", "secrets", true, List.of(), List.of(), false, Secret.class);
    builtIn("", "v1", "ServiceAccount", "serviceaccounts", true, List.of("sa"), List.of(), false, ServiceAccount.class);
    builtIn("", "v1", "Node", "nodes", false, List.of("no"), List.of(), true, Node.class);
    builtIn("apps", "v1", "Deployment", "deployments", true, List.of("deploy"), List.of("all"), true, Deployment.class);
    builtIn("apps", "v1", "ReplicaSet", "replicasets", true, List.of("rs"), List.of("all"), true, ReplicaSet.class);
    builtIn("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, List.of(), List.of(), false,
        EndpointSlice.class);
    builtIn("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, List.of("netpol"), List.of(), false,
        NetworkPolicy.class);
    builtIn("coordination.k8s.io", "v1", "Lease", "leases", true, List.of(), List.of(), false, Lease.class);
    builtIn("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false,
        List.of("crd", "crds"), List.of("api-extensions"), true, CustomResourceDefinition.class);
    all = List.copyOf(builtIns);
  }

  private void builtIn(String group, String version, String kind, String plural, boolean namespaced,
      List<String> shortNames, List<String> categories, boolean status, Class<? extends HasMetadata> model) {
    builtIns.add(new ApiResource(group, version, kind, plural, kind.toLowerCase(java.util.Locale.ROOT), namespaced,
        shortNames, categories, status, null, null, model));
  }

  /** Serves the CRD's served versions from now on (or stops serving those it no longer lists). */
  public synchronized void putCrd(JsonNode crd) {
    String name = crd.path("metadata").path("name").asText();
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    List<ApiResource> types = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (!v.path("served").asBoolean(true)) {
        continue;
      }
      types.add(new ApiResource(
          spec.path("group").asText(),
          v.path("name").asText(),
          names.path("kind").asText(),
          names.path("plural").asText(),
          names.path("singular").asText(names.path("kind").asText().toLowerCase(java.util.Locale.ROOT)),
          !"Cluster".equals(spec.path("scope").asText()),
          strings(names.path("shortNames")),
          strings(names.path("categories")),
          v.path("subresources").has("status"),
          v.path("schema").path("openAPIV3Schema"),
          v.path("additionalPrinterColumns"),
          null));
    }
    custom.put(name, types);
    rebuild();
  }

  public synchronized void removeCrd(String name) {
    if (custom.remove(name) != null) {
      rebuild();
    }
  }

  private void rebuild() {
    List<ApiResource> next = new ArrayList<>(builtIns);
    custom.values().forEach(next::addAll);
    all = List.copyOf(next);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }

  public List<ApiResource> all() {
    return all;
  }

  public Optional<ApiResource> find(String group, String version, String plural) {
    return all.stream()
        .filter(t -> t.group().equals(group) && t.version().equals(version) && t.plural().equals(plural))
        .findFirst();
  }

  public Optional<ApiResource> findKind(String apiVersion, String kind) {
    return all.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
  }

  /** Group name to its versions, in the order they were registered; the core group is "". */
  public Map<String, Set<String>> groupVersions() {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (ApiResource t : all) {
      out.computeIfAbsent(t.group(), g -> new LinkedHashSet<>()).add(t.version());
    }
    return out;
  }

  public List<ApiResource> inGroupVersion(String group, String version) {
    return all.stream().filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
  }
}
