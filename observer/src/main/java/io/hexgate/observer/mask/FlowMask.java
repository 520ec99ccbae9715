package io.hexgate.observer.mask;

import com.google.protobuf.FieldMask;
import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;

/** The fields of flow.Flow a client asked for. */
public final class FlowMask {
  public static final FlowMask ALL = new FlowMask();

  private FlowMask() {}

  public static FlowMask of(GetFlowsRequest request) {
    FieldMask mask = request.hasFieldMask() && request.getFieldMask().getPathsCount() > 0
        ? request.getFieldMask() : request.getExperimental().getFieldMask();
    return of(mask);
  }

  public static FlowMask of(FieldMask mask) {
    if (mask.getPathsCount() == 0) {
      return ALL;
    }
    throw new UnsupportedOperationException("placeholder until FlowMask lands");
  }

  public Flow apply(Flow flow) {
    return flow;
  }
}
