package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** The endpoint's numeric security identity and its labels, sorted, as {@code source:key=value}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointIdentity {
  public Long id;
  public List<String> labels;

  public EndpointIdentity() {}

  public EndpointIdentity(Long id, List<String> labels) {
    this.id = id;
    this.labels = labels;
  }
}
