package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class ConntrackSpec {
  @JsonPropertyDescription("Size of each node's conntrack map (the agent's --ct-entries). Default: 262144.")
  @Min(0)
  public Integer entries;

  @JsonPropertyDescription("Connections one pod may have tracked at once (--ct-quota). Default: a sixteenth of the map.")
  @Min(0)
  public Integer quota;

  @JsonPropertyDescription("Seconds between two collections of expired and no longer allowed connections (--ct-gc-interval). Default: 30.")
  @Min(1)
  public Integer gcIntervalSeconds;
}
