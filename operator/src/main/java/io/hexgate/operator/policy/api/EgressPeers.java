package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** The peer members shared by {@code egress} and {@code egressDeny} elements. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class EgressPeers {
  public List<EndpointSelector> toEndpoints;

  /** Removed upstream in 1.19 and kept as an always-empty list, so old policies still apply. */
  @Size(max = 0)
  public List<String> toRequires;

  /** Entity names ({@link Entity#yaml()}); strings so that an unknown one is reported, not dropped. */
  @SchemaFrom(type = Entity[].class)
  public List<String> toEntities;
  public List<String> toCIDR;
  public List<CidrRule> toCIDRSet;
  public List<EndpointSelector> toNodes;
  public List<GroupsRule> toGroups;
  public List<ServiceSelector> toServices;
  public List<IcmpRule> icmps;
}
