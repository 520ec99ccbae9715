package io.hexgate.operator.service;

import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every ClusterIP frontend of the cluster and its ready backends, as every node receives them. Immutable;
 * keyed by {@link #key(ServiceFrontend)}. Compare instances: the table makes a new one only on change.
 */
public record Services(Map<String, ServiceState> byFrontend) {
  public static final Services EMPTY = new Services(Map.of());

  public Services {
    byFrontend = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(byFrontend));
  }

  /** "ip:port/PROTOCOL", e.g. {@code 10.96.0.10:53/UDP}. */
  public static String key(ServiceFrontend f) {
    return f.getIp() + ":" + f.getPort() + "/" + f.getProtocol().name().substring("PROTOCOL_".length());
  }
}
