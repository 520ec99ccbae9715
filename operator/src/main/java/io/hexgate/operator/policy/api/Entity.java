package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** The entities a CRD accepts in {@code fromEntities}/{@code toEntities}, with their YAML spelling. */
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
}
