package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** {@code fromGroups}/{@code toGroups} element (cloud provider groups): parsed and kept, not enforced. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GroupsRule {
  public AwsGroup aws;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class AwsGroup {
    public Map<String, String> labels;
    public List<String> securityGroupsIds;
    public List<String> securityGroupsNames;
    public String region;
  }
}
