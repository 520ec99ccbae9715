package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Per-direction policy enforcement of an endpoint. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointPolicy {
  public Direction ingress;
  public Direction egress;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Direction {
    public Boolean enforcing;

    /** {@code enforcing}, {@code non-enforcing} or {@code disabled}. */
    public String state;
  }
}
