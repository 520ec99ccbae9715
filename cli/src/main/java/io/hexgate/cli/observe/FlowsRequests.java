package io.hexgate.cli.observe;

import com.google.gson.JsonParseException;
import com.google.gson.JsonStreamParser;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.FieldMask;
import com.google.protobuf.InvalidProtocolBufferException;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.observer.json.HubbleJson;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/** The GetFlowsRequest {@code hubble observe} sends for its selector, filter and field-mask flags. */
final class FlowsRequests {
  /** How many flows a plain {@code hubble observe} asks for. */
  static final long DEFAULT_COUNT = 20;

  /**
   * The fields the compact, dict and table printers read: the CLI's own default mask with what upstream
   * found missing from it added (traffic direction, match type and policies of policy verdicts), and the
   * auth type and DNS names the lines show as well.
   */
  static final List<String> DEFAULT_FIELD_MASK = List.of(
      "time", "verdict", "ethernet", "IP", "l4", "source.identity", "source.namespace", "source.pod_name",
      "destination.identity", "destination.namespace", "destination.pod_name", "Type", "node_name", "l7", "event_type",
      "source_service", "destination_service", "is_reply", "Summary", "traffic_direction", "policy_match_type",
      "auth_type", "source_names", "destination_names", "egress_allowed_by", "ingress_allowed_by", "egress_denied_by",
      "ingress_denied_by");

  /** {@code --last}, {@code --first}, {@code --all}, {@code --follow}, {@code --since}, {@code --until} (null when absent). */
  record Selectors(long last, long first, boolean all, boolean follow, String since, String until) {}

  private FlowsRequests() {}

  /** @throws IllegalArgumentException with the CLI's message for a combination or value it refuses */
  static GetFlowsRequest build(Selectors sel, FilterFlags filters, List<String> allowlist, List<String> denylist,
      List<String> fieldMask, Clock clock) {
    boolean first = sel.first() != 0;
    boolean last = sel.last() != 0;
    if (first && last) {
      throw new IllegalArgumentException("cannot set both --first and --last");
    }
    if (first && sel.all()) {
      throw new IllegalArgumentException("cannot set both --first and --all");
    }
    if (first && sel.follow()) {
      throw new IllegalArgumentException("cannot set both --first and --follow");
    }
    if (last && sel.all()) {
      throw new IllegalArgumentException("cannot set both --last and --all");
    }
    GetFlowsRequest.Builder req = GetFlowsRequest.newBuilder().setFollow(sel.follow()).setFirst(first);
    boolean timed = false;
    if (sel.since() != null && !sel.since().isEmpty()) {
      req.setSince(HubbleTime.timestamp(time("since", sel.since(), clock)));
      timed = true;
    }
    // the server ends a non-follow stream at "now" anyway; with --follow there is no end
    if (sel.until() != null && !sel.until().isEmpty() && !sel.follow()) {
      req.setUntil(HubbleTime.timestamp(time("until", sel.until(), clock)));
      timed = true;
    }
    long number = sel.last();
    if (!timed && !first) {
      if (sel.all()) {
        number = -1L; // 2^64-1: everything the buffer holds
      } else if (number == 0 && !sel.follow()) {
        number = DEFAULT_COUNT;
      }
    }
    req.setNumber(first ? sel.first() : number);
    filters.checkComplete();
    req.addAllWhitelist(filters.whitelist()).addAllWhitelist(raw("allowlist", allowlist));
    req.addAllBlacklist(filters.blacklist()).addAllBlacklist(raw("denylist", denylist));
    if (!fieldMask.isEmpty()) {
      req.setFieldMask(fieldMask(fieldMask));
    }
    return req.build();
  }

  private static java.time.Instant time(String which, String text, Clock clock) {
    try {
      return HubbleTime.parse(text, clock);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("failed to parse the " + which + " time: " + e.getMessage(), e);
    }
  }

  /** {@code --allowlist}/{@code --denylist}: JSON FlowFilters, several objects to a value allowed. */
  private static List<FlowFilter> raw(String flag, List<String> values) {
    List<FlowFilter> filters = new ArrayList<>();
    for (String value : values) {
      try {
        JsonStreamParser parser = new JsonStreamParser(value);
        while (parser.hasNext()) {
          filters.add(HubbleJson.parse(parser.next().toString(), FlowFilter.newBuilder()).build());
        }
      } catch (JsonParseException | InvalidProtocolBufferException e) {
        throw new IllegalArgumentException("invalid --" + flag + " flag: failed to decode '" + value + "': " + e.getMessage(), e);
      }
    }
    return filters;
  }

  /** A mask of flow.Flow paths (proto field names, dotted into sub-messages), each checked against the message. */
  static FieldMask fieldMask(List<String> paths) {
    for (String path : paths) {
      Descriptor d = Flow.getDescriptor();
      String[] parts = path.split("\\.", -1);
      for (int i = 0; i < parts.length; i++) {
        FieldDescriptor field = d == null ? null : d.findFieldByName(parts[i]);
        if (field == null || i < parts.length - 1 && (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated())) {
          throw new IllegalArgumentException("failed to construct field mask: proto: invalid path \"" + path + "\" for message \"flow.Flow\"");
        }
        d = field.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? field.getMessageType() : null;
      }
    }
    return FieldMask.newBuilder().addAllPaths(paths).build();
  }
}
