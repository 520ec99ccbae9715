package io.hexgate.observer.mask;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Message;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.observer.filter.InvalidFilterException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of flow.Flow a client asked for (Hubble's field mask): only the listed paths are kept.
 * Paths are proto field names as declared, capitals included ({@code IP}, {@code Type},
 * {@code Summary}), dotted into sub-messages ({@code source.pod_name}, {@code l4.TCP.destination_port});
 * naming a message keeps all of it.
 */
public final class FlowMask {
  public static final FlowMask ALL = new FlowMask(null);

  // Fields Hubble's flow.Flow has and Hexgate's leaves out: a client's mask may name them, so they are
  // accepted and keep nothing.
  private static final Map<String, Set<String>> HUBBLE_FIELDS_LEFT_OUT = Map.of(
      "flow.Flow", Set.of("tunnel", "file", "debug_capture_point", "sock_xlate_point", "aggregate"),
      "flow.Layer4", Set.of("VRRP", "IGMP"));

  /** Fields to keep; a null value keeps the whole field, a map keeps only those sub-fields. Null = all. */
  private final Map<FieldDescriptor, Object> keep;

  private FlowMask(Map<FieldDescriptor, Object> keep) {
    this.keep = keep;
  }

  /**
   * The request's {@code field_mask}, else {@code experimental.field_mask} (where CLIs up to v1.18 send
   * it); {@link #ALL} when both are empty.
   *
   * @throws InvalidFilterException for a path naming no field of flow.Flow
   */
  public static FlowMask of(GetFlowsRequest request) {
    FieldMask mask = request.hasFieldMask() && request.getFieldMask().getPathsCount() > 0
        ? request.getFieldMask() : request.getExperimental().getFieldMask();
    return of(mask);
  }

  /** @throws InvalidFilterException for a path naming no field of flow.Flow */
  public static FlowMask of(FieldMask mask) {
    return of(mask.getPathsList());
  }

  /**
   * Paths separated by spaces and/or commas, as the exporter's option gives them; {@link #ALL} when blank.
   *
   * @throws InvalidFilterException for a path naming no field of flow.Flow
   */
  public static FlowMask parse(String spaceOrCommaSeparatedPaths) {
    return of(Arrays.stream(spaceOrCommaSeparatedPaths.trim().split("[\\s,]+"))
        .filter(path -> !path.isEmpty())
        .toList());
  }

  private static FlowMask of(List<String> paths) {
    if (paths.isEmpty()) {
      return ALL;
    }
    Map<FieldDescriptor, Object> keep = new LinkedHashMap<>();
    for (String path : paths) {
      add(keep, path);
    }
    return new FlowMask(keep);
  }

  @SuppressWarnings("unchecked")
  private static void add(Map<FieldDescriptor, Object> keep, String path) {
    String[] names = path.split("\\.", -1);
    Descriptor message = Flow.getDescriptor();
    Map<FieldDescriptor, Object> level = keep;
    for (int i = 0; i < names.length; i++) {
      FieldDescriptor field = message.findFieldByName(names[i]);
      if (field == null) {
        if (HUBBLE_FIELDS_LEFT_OUT.getOrDefault(message.getFullName(), Set.of()).contains(names[i])) {
          return;
        }
        throw new InvalidFilterException("field mask path \"" + path + "\" names no field of flow.Flow: "
            + message.getFullName() + " has no field \"" + names[i] + "\"");
      }
      if (i == names.length - 1) {
        level.put(field, null);
        return;
      }
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated()) {
        throw new InvalidFilterException("field mask path \"" + path + "\" names no field of flow.Flow: \""
            + names[i] + "\" is not a single message, it has no field \"" + names[i + 1] + "\"");
      }
      if (level.containsKey(field) && level.get(field) == null) {
        return; // the whole field is kept already
      }
      level = (Map<FieldDescriptor, Object>) level.computeIfAbsent(field, f -> new LinkedHashMap<>());
      message = field.getMessageType();
    }
  }

  /** A copy of {@code flow} with only the kept fields. */
  public Flow apply(Flow flow) {
    if (keep == null) {
      return flow;
    }
    Flow.Builder kept = Flow.newBuilder();
    copy(flow, keep, kept);
    return kept.build();
  }

  @SuppressWarnings("unchecked")
  private static void copy(Message from, Map<FieldDescriptor, Object> fields, Message.Builder into) {
    for (Map.Entry<FieldDescriptor, Object> kept : fields.entrySet()) {
      FieldDescriptor field = kept.getKey();
      if (field.isRepeated() ? from.getRepeatedFieldCount(field) == 0 : !from.hasField(field)) {
        continue;
      }
      if (kept.getValue() == null) {
        into.setField(field, from.getField(field));
      } else {
        // the sub-message is set even when none of its kept fields is, as Hubble's copy does
        Message.Builder part = into.newBuilderForField(field);
        copy((Message) from.getField(field), (Map<FieldDescriptor, Object>) kept.getValue(), part);
        into.setField(field, part.build());
      }
    }
  }

  @Override
  public String toString() {
    return keep == null ? "FlowMask[all]" : "FlowMask" + paths(keep, "");
  }

  @SuppressWarnings("unchecked")
  private static List<String> paths(Map<FieldDescriptor, Object> level, String prefix) {
    return level.entrySet().stream()
        .flatMap(e -> e.getValue() == null
            ? java.util.stream.Stream.of(prefix + e.getKey().getName())
            : paths((Map<FieldDescriptor, Object>) e.getValue(), prefix + e.getKey().getName() + ".").stream())
        .toList();
  }
}
