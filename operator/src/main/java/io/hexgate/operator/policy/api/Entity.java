package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Optional;

/**
 * The entities a CRD accepts in {@code fromEntities}/{@code toEntities}, with their YAML spelling. The
 * model holds those lists as strings (the CRD schema still lists these values): an object naming an
 * unknown entity must still reach the operator, to be marked invalid naming the field, not be dropped
 * by the informer as undeserializable.
 */
public enum Entity {
  ALL("all"),
  WORLD("world"),
  CLUSTER("cluster"),
  HOST("host"),
  INIT("init"),
  INGRESS("ingress"),
  UNMANAGED("unmanaged"),
  REMOTE_NODE("remote-node"),
  HEALTH("health"),
  NONE("none"),
  KUBE_APISERVER("kube-apiserver");

  private final String yaml;

  Entity(String yaml) {
    this.yaml = yaml;
  }

  @JsonValue
  public String yaml() {
    return yaml;
  }

  /** The entity spelled {@code yaml} in a policy, or empty when there is none of that name. */
  public static Optional<Entity> fromYaml(String yaml) {
    for (Entity e : values()) {
      if (e.yaml.equals(yaml)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}
