package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.List;

/** Hubble's static exporter, under the names of Cilium's Helm values hubble.export.*. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HubbleExportSpec {
  @JsonPropertyDescription("The file on each node the agent writes its flows to, e.g. /var/run/hexgate/hubble/events.log (its directory is mounted from the node, created if absent), or stdout for the agent's log. Unset exports nothing.")
  @Pattern("^(stdout|/[^/]+(/[^/]+)*/[^/]+)$")
  public String filePath;

  @JsonPropertyDescription("The file is rotated when it reaches this size. Default: 10.")
  @Min(1)
  public Integer fileMaxSizeMb;

  @JsonPropertyDescription("Rotated files kept. Default: 5.")
  @Min(0)
  public Integer fileMaxBackups;

  @JsonPropertyDescription("Whether rotated files are gzipped. Default: false.")
  public Boolean fileCompress;

  @JsonPropertyDescription("Only flows matching one of these are exported: Hubble FlowFilters as JSON, e.g. {\"verdict\":[\"DROPPED\",\"ERROR\"]} (hubble observe --print-raw-filters prints them). Default: every flow.")
  public List<String> allowList;

  @JsonPropertyDescription("Flows matching one of these FlowFilters (JSON) are not exported, e.g. {\"source_pod\":[\"kube-system/\"]}.")
  public List<String> denyList;

  @JsonPropertyDescription("Only these fields of each flow are written, e.g. [time, source.namespace, source.pod_name, destination.namespace, destination.pod_name, verdict]. Default: whole flows.")
  public List<String> fieldMask;

  public boolean enabled() {
    return filePath != null && !filePath.isBlank();
  }

  /** Whether the file is on the node, in a directory the agent's container mounts from it. */
  public boolean toNodeFile() {
    return enabled() && !filePath.equals("stdout");
  }
}
