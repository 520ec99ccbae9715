package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** What the agent reports about one endpoint; every field is optional. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class EndpointStatus {
  /** Node-local endpoint ID. */
  public Integer id;

  @JsonProperty("external-identifiers")
  public ExternalIdentifiers externalIdentifiers;

  public EndpointIdentity identity;
  public EndpointNetworking networking;
  public EncryptionSpec encryption;

  @JsonProperty("named-ports")
  public List<NamedPort> namedPorts;

  public EndpointState state;

  @JsonProperty("service-account")
  public String serviceAccount;

  /** Still in Cilium's schema, no longer filled by its agent since 1.16. */
  public EndpointPolicy policy;
}
