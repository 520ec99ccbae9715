package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** A Kubernetes label selector over security labels; keys may carry a source prefix such as {@code k8s:}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointSelector {
  public Map<String, String> matchLabels;
  public List<SelectorRequirement> matchExpressions;

  public EndpointSelector() {}

  public EndpointSelector(Map<String, String> matchLabels, List<SelectorRequirement> matchExpressions) {
    this.matchLabels = matchLabels;
    this.matchExpressions = matchExpressions;
  }
}
