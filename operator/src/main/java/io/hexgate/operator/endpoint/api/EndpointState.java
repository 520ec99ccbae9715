package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonValue;

/** Endpoint lifecycle states with their YAML spelling. */
public enum EndpointState {
  CREATING("creating"),
  WAITING_FOR_IDENTITY("waiting-for-identity"),
  NOT_READY("not-ready"),
  WAITING_TO_REGENERATE("waiting-to-regenerate"),
  REGENERATING("regenerating"),
  RESTORING("restoring"),
  READY("ready"),
  DISCONNECTING("disconnecting"),
  DISCONNECTED("disconnected"),
  INVALID("invalid");

  private final String yaml;

  EndpointState(String yaml) {
    this.yaml = yaml;
  }

  @JsonValue
  public String yaml() {
    return yaml;
  }
}
