package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Identifiers of the endpoint other than the CEP's own name: container runtime and pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ExternalIdentifiers {
  @JsonProperty("container-id")
  public String containerId;

  @JsonProperty("container-name")
  public String containerName;

  @JsonProperty("cni-attachment-id")
  public String cniAttachmentId;

  @JsonProperty("k8s-namespace")
  public String k8sNamespace;

  @JsonProperty("k8s-pod-name")
  public String k8sPodName;

  /** {@code namespace/name}; deprecated upstream in favour of the two fields above. */
  @JsonProperty("pod-name")
  public String podName;
}
