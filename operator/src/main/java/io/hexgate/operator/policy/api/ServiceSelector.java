package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Required;

/** {@code toServices} element: parsed and kept, not enforced yet. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceSelector {
  public K8sServiceName k8sService;
  public K8sServiceSelector k8sServiceSelector;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class K8sServiceName {
    public String serviceName;
    public String namespace;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class K8sServiceSelector {
    @Required public EndpointSelector selector;
    public String namespace;
  }
}
