package io.hexgate.operator.policy;

import java.util.List;
import java.util.Map;

/**
 * What the engine needs of a pod: where it is, its labels, and its named container ports; and, for flows
 * only, the workload that runs it.
 *
 * @param workload the pod's workload (Deployment, StatefulSet, ...), null for a pod no controller owns
 */
public record Endpoint(
    String namespace,
    String name,
    String ip,
    Map<String, String> labels,
    String serviceAccount,
    String node,
    List<NamedPort> namedPorts,
    Workload workload) {

  public Endpoint {
    labels = Map.copyOf(labels);
    namedPorts = namedPorts == null ? List.of() : List.copyOf(namedPorts);
    serviceAccount = serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
  }

  /** An endpoint no controller owns: no workload. */
  public Endpoint(
      String namespace,
      String name,
      String ip,
      Map<String, String> labels,
      String serviceAccount,
      String node,
      List<NamedPort> namedPorts) {
    this(namespace, name, ip, labels, serviceAccount, node, namedPorts, null);
  }

  public record Key(String namespace, String name) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      // as toString() orders, without building the strings
      return io.hexgate.operator.identity.JoinedStrings.compare('/', namespace, name, o.namespace, o.name);
    }

    @Override
    public String toString() {
      return namespace + "/" + name;
    }
  }

  /** The object that runs a pod, as Hubble names it: e.g. {@code deathstar}, {@code Deployment}. */
  public record Workload(String name, String kind) {}

  /** A named container port; names are compared lower-cased. */
  public record NamedPort(String name, int port, Protocol protocol) {}

  public Key key() {
    return new Key(namespace, name);
  }

  public boolean hasNamedPort(String portName, Protocol p, int port) {
    for (NamedPort np : namedPorts) {
      if (np.name().equalsIgnoreCase(portName) && np.protocol() == p && np.port() == port) {
        return true;
      }
    }
    return false;
  }
}
