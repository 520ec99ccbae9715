package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import io.hexgate.operator.identity.IdentityAllocator;
import io.hexgate.operator.identity.IdentityTable;
import io.hexgate.operator.identity.Labels;
import io.hexgate.operator.identity.SecurityLabels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Namespaces and pods, each pod with the identity its security labels give it and indexed by IP. An
 * identity is allocated when its first pod appears and released with its last; both reach the {@link
 * PolicyResolver}, which gives the identity a policy and makes it a peer of the rules that select it.
 */
final class EndpointRegistry {
  private final SecurityLabels securityLabels;
  private final IdentityAllocator allocator;
  private final IdentityTable table;
  private final PolicyResolver resolver;

  private final Map<String, Map<String, String>> namespaceLabels = new HashMap<>();
  private final TreeMap<Endpoint.Key, Endpoint> endpoints = new TreeMap<>();
  private final Map<Endpoint.Key, Long> endpointIdentity = new HashMap<>();
  private final Map<Long, Set<Endpoint.Key>> endpointsByIdentity = new HashMap<>();
  private final Map<Labels, Long> identityByLabels = new HashMap<>();
  private final Map<String, Endpoint.Key> endpointByIp = new HashMap<>();
  private long namedPortsVersion;

  EndpointRegistry(
      SecurityLabels securityLabels, IdentityAllocator allocator, IdentityTable table, PolicyResolver resolver) {
    this.securityLabels = securityLabels;
    this.allocator = allocator;
    this.table = table;
    this.resolver = resolver;
  }

  void upsertNamespace(String name, Map<String, String> labels) {
    Map<String, String> l = new HashMap<>(labels);
    l.putIfAbsent("kubernetes.io/metadata.name", name);
    if (l.equals(namespaceLabels.get(name))) {
      return;
    }
    namespaceLabels.put(name, Map.copyOf(l));
    resolver.batch(
        () -> {
          for (Endpoint e : new ArrayList<>(endpoints.values())) {
            if (e.namespace().equals(name)) {
              upsertEndpoint(e);
            }
          }
        });
  }

  Map<String, String> namespaceLabels(String name) {
    return namespaceLabels.getOrDefault(name, Map.of("kubernetes.io/metadata.name", name));
  }

  void upsertEndpoint(Endpoint e) {
    Labels labels =
        securityLabels.forPod(e.namespace(), e.labels(), namespaceLabels(e.namespace()), e.serviceAccount());
    Endpoint.Key key = e.key();
    Endpoint old = endpoints.put(key, e);
    if ((!e.namedPorts().isEmpty() || (old != null && !old.namedPorts().isEmpty())) && !e.equals(old)) {
      namedPortsVersion++;
    }
    if (old != null && old.ip() != null) {
      endpointByIp.remove(old.ip(), key);
    }
    if (e.ip() != null) {
      endpointByIp.put(e.ip(), key);
    }
    Long current = endpointIdentity.get(key);
    if (current != null && table.get(current).labels().equals(labels)) {
      return;
    }
    if (!e.namedPorts().isEmpty()) {
      namedPortsVersion++; // its named ports now resolve under another identity
    }
    resolver.batch(
        () -> {
          long id = acquire(labels);
          endpointIdentity.put(key, id);
          endpointsByIdentity.get(id).add(key);
          if (current != null) {
            release(current, key);
          }
        });
  }

  void deleteEndpoint(Endpoint.Key key) {
    Endpoint old = endpoints.remove(key);
    if (old == null) {
      return;
    }
    if (!old.namedPorts().isEmpty()) {
      namedPortsVersion++;
    }
    if (old.ip() != null) {
      endpointByIp.remove(old.ip(), key);
    }
    Long id = endpointIdentity.remove(key);
    resolver.batch(() -> release(id, key));
  }

  private long acquire(Labels labels) {
    Long existing = identityByLabels.get(labels);
    if (existing != null) {
      return existing;
    }
    long id = allocator.allocate(labels);
    identityByLabels.put(labels, id);
    endpointsByIdentity.put(id, new HashSet<>());
    resolver.addIdentity(new Identity(id, labels), true);
    return id;
  }

  private void release(long id, Endpoint.Key key) {
    Set<Endpoint.Key> users = endpointsByIdentity.get(id);
    users.remove(key);
    if (users.isEmpty()) {
      endpointsByIdentity.remove(id);
      Identity identity = table.get(id);
      identityByLabels.remove(identity.labels());
      resolver.removeIdentity(id);
      allocator.release(id, identity.labels());
    }
  }

  /** See {@link PolicyEngine#namedPortsVersion()}. */
  long namedPortsVersion() {
    return namedPortsVersion;
  }

  Endpoint endpoint(Endpoint.Key key) {
    return endpoints.get(key);
  }

  /** Every endpoint, by key. */
  Collection<Endpoint> endpoints() {
    return endpoints.values();
  }

  /** Every endpoint by key, sorted, read-only. */
  java.util.SortedMap<Endpoint.Key, Endpoint> endpointMap() {
    return java.util.Collections.unmodifiableSortedMap(endpoints);
  }

  Identity identityOf(Endpoint.Key key) {
    Long id = endpointIdentity.get(key);
    return id == null ? null : table.get(id);
  }

  Set<Endpoint.Key> endpointsWithIdentity(long id) {
    return endpointsByIdentity.getOrDefault(id, Set.of());
  }

  Endpoint endpointByIp(String ip) {
    Endpoint.Key k = endpointByIp.get(ip);
    return k == null ? null : endpoints.get(k);
  }
}
