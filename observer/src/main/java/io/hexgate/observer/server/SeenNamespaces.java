package io.hexgate.observer.server;

import io.hexgate.contract.hubble.flow.Endpoint;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetNamespacesResponse;
import io.hexgate.contract.hubble.observer.Namespace;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The namespaces of flows' endpoints, with when each was last seen, for GetNamespaces. */
final class SeenNamespaces {
  private static final long KEEP_MILLIS = Duration.ofHours(1).toMillis();
  private static final Comparator<Key> ORDER =
      Comparator.comparing(Key::cluster).thenComparing(Key::namespace);

  private record Key(String cluster, String namespace) {}

  private final Map<Key, Long> lastSeen = new ConcurrentHashMap<>();

  void saw(Flow flow, long epochMillis) {
    saw(flow.getSource(), epochMillis);
    saw(flow.getDestination(), epochMillis);
  }

  private void saw(Endpoint endpoint, long epochMillis) {
    if (!endpoint.getNamespace().isEmpty()) {
      Key key = new Key(endpoint.getClusterName(), endpoint.getNamespace());
      Long seen = lastSeen.get(key);
      // an hour is kept: a write per second and namespace is plenty, and a read is far cheaper per flow
      if (seen == null || epochMillis - seen >= 1000) {
        lastSeen.put(key, epochMillis);
      }
    }
  }

  /** Those seen in the hour before {@code epochMillis}, by cluster then namespace; older ones are forgotten. */
  GetNamespacesResponse lastHour(long epochMillis) {
    lastSeen.values().removeIf(seen -> seen < epochMillis - KEEP_MILLIS);
    GetNamespacesResponse.Builder response = GetNamespacesResponse.newBuilder();
    lastSeen.keySet().stream().sorted(ORDER).forEach(key -> response.addNamespaces(
        Namespace.newBuilder().setCluster(key.cluster()).setNamespace(key.namespace())));
    return response.build();
  }
}
