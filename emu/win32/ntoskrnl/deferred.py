"""DPCs and work items for drivers (wdm.h): KeInitializeDpc, KeInsertQueueDpc,
KeRemoveQueueDpc, KeSetTargetProcessorDpc, IoAllocateWorkItem, IoQueueWorkItem, IoFreeWorkItem,
ExInitializeWorkItem, ExQueueWorkItem.

- KeInsertQueueDpc: "If the specified DPC object is not currently in the queue, KeInsertQueueDpc
  queues the DPC and returns TRUE"; otherwise FALSE. KeRemoveQueueDpc: TRUE if it removed it.
- IoQueueWorkItem / ExQueueWorkItem: at IRQL <= DISPATCH_LEVEL; the routine runs later at
  PASSIVE_LEVEL in a system worker thread ("WorkerRoutine(DeviceObject, Context)").
"""

from __future__ import annotations

from typing import Any

from emu.kernel.dpc import Dpc, DpcQueues
from emu.kernel.irql import DISPATCH_LEVEL, check_irql
from emu.kernel.workqueue import WorkItem, work_queue
from emu.win32.base import VOID, ApiCall, export
from emu.win32.ntos_types import KDPC, WORK_QUEUE_ITEM
from emu.win32.ntoskrnl.base import BOOLEAN, WORK_QUEUES, NtosBase


class IoWorkItem:
    """IO_WORKITEM (opaque): what IoAllocateWorkItem returns."""

    __slots__ = ("device", "freed", "item")

    def __init__(self, device: Any) -> None:
        self.device = device
        self.item: WorkItem | None = None
        self.freed = False

    @property
    def trace_name(self) -> str:
        return "IO_WORKITEM"


class KeDeferred(NtosBase):
    __slots__ = ()

    def _dpcs(self) -> DpcQueues:
        k = self.k
        return k.device("dpc", lambda: DpcQueues(k))

    @export("ntoskrnl", VOID)
    def KeInitializeDpc(
        self, Dpc_: Any, DeferredRoutine: Any, DeferredContext: Any
    ) -> ApiCall[None]:
        """VOID KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
        PVOID DeferredContext);"""
        ctx = self._ctx()
        name, args = "KeInitializeDpc", (Dpc_, DeferredRoutine, DeferredContext)
        if not isinstance(Dpc_, KDPC) or not callable(DeferredRoutine):
            return self._bad(ctx, name, args, "Dpc is a KDPC, DeferredRoutine a routine", None)
        Dpc_.bind(self.k)
        object.__setattr__(Dpc_, "obj", Dpc(self.k, DeferredRoutine, DeferredContext, Dpc_))
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    def _dpc(self, Dpc_: Any) -> Dpc | None:
        return Dpc_.obj if isinstance(Dpc_, KDPC) and isinstance(Dpc_.obj, Dpc) else None

    @export("ntoskrnl", BOOLEAN)
    def KeInsertQueueDpc(
        self, Dpc_: Any, SystemArgument1: Any, SystemArgument2: Any
    ) -> ApiCall[int]:
        """BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1,
        PVOID SystemArgument2);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("KeInsertQueueDpc", ())
        name, args = "KeInsertQueueDpc", (Dpc_, SystemArgument1, SystemArgument2)
        dpc = self._dpc(Dpc_)
        if dpc is None:
            return self._bad(ctx, name, args, "Dpc is not an initialized KDPC", 0)
        queued = self._dpcs().insert(dpc, SystemArgument1, SystemArgument2)
        return self._done(ctx, name, args, int(queued))

    @export("ntoskrnl", BOOLEAN)
    def KeRemoveQueueDpc(self, Dpc_: Any) -> ApiCall[int]:
        """BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("KeRemoveQueueDpc", ())
        dpc = self._dpc(Dpc_)
        if dpc is None:
            return self._bad(ctx, "KeRemoveQueueDpc", (Dpc_,), "not an initialized KDPC", 0)
        return self._done(ctx, "KeRemoveQueueDpc", (Dpc_,), int(self._dpcs().remove(dpc)))

    @export("ntoskrnl", VOID)
    def KeSetTargetProcessorDpc(self, Dpc_: Any, Number: Any) -> ApiCall[None]:
        """VOID KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number);"""
        ctx = self._ctx()
        name, args = "KeSetTargetProcessorDpc", (Dpc_, Number)
        dpc = self._dpc(Dpc_)
        if dpc is None or not isinstance(Number, int) or not 0 <= Number < self.k.processors:
            return self._bad(ctx, name, args, "an initialized KDPC and a processor number", None)
        dpc.target = Number
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", "PVOID")
    def IoAllocateWorkItem(self, DeviceObject: Any) -> ApiCall[Any]:
        """PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject);"""
        ctx = self._ctx()
        check_irql(self.k, ctx, "IoAllocateWorkItem", DISPATCH_LEVEL)
        if DeviceObject is None:
            return self._bad(ctx, "IoAllocateWorkItem", (DeviceObject,), "DeviceObject", None)
        return self._done(ctx, "IoAllocateWorkItem", (DeviceObject,), IoWorkItem(DeviceObject))
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", VOID)
    def IoFreeWorkItem(self, IoWorkItem_: Any) -> ApiCall[None]:
        """VOID IoFreeWorkItem(PIO_WORKITEM IoWorkItem);"""
        ctx = self._ctx()
        if not isinstance(IoWorkItem_, IoWorkItem) or IoWorkItem_.freed:
            return self._bad(ctx, "IoFreeWorkItem", (IoWorkItem_,), "a live IO_WORKITEM", None)
        if IoWorkItem_.item is not None and IoWorkItem_.item.queued:
            self.k.violation(
                "kernel.workitem_freed_queued",
                "IoFreeWorkItem on a work item whose callback has not run yet",
                (ctx.oid,),
            )
        IoWorkItem_.freed = True
        return self._done(ctx, "IoFreeWorkItem", (IoWorkItem_,), None)
        yield  # type: ignore[unreachable]  # every export is a generator

    def _queue(self, name: str, args: tuple[Any, ...], item: WorkItem, queue_type: Any) -> int:
        ctx = self._ctx()
        check_irql(self.k, ctx, name, DISPATCH_LEVEL)
        queue_name = WORK_QUEUES.get(queue_type) if type(queue_type) is int else None
        if queue_name is None:
            self.k.violation("win32.bad_argument", f"{name}: unknown QueueType", (ctx.oid,))
            return 0
        return int(work_queue(self.k, queue_name).queue(item))

    @export("ntoskrnl", VOID)
    def IoQueueWorkItem(
        self, IoWorkItem_: Any, WorkerRoutine: Any, QueueType: Any, Context: Any
    ) -> ApiCall[None]:
        """VOID IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine,
        WORK_QUEUE_TYPE QueueType, PVOID Context);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("IoQueueWorkItem", ())
        name, args = "IoQueueWorkItem", (IoWorkItem_, WorkerRoutine, QueueType, Context)
        if (
            not isinstance(IoWorkItem_, IoWorkItem)
            or IoWorkItem_.freed
            or not callable(WorkerRoutine)
        ):
            return self._bad(ctx, name, args, "a live IO_WORKITEM and a routine", None)
        item = IoWorkItem_.item
        if item is None or not item.queued:
            item = WorkItem(k, WorkerRoutine, (IoWorkItem_.device, Context))
            IoWorkItem_.item = item
        self._queue(name, args, item, QueueType)
        return self._done(ctx, name, args, None)

    @export("ntoskrnl", VOID)
    def ExInitializeWorkItem(self, Item: Any, Routine: Any, Parameter: Any) -> ApiCall[None]:
        """VOID ExInitializeWorkItem(PWORK_QUEUE_ITEM Item, PWORKER_THREAD_ROUTINE Routine,
        PVOID Parameter);"""
        ctx = self._ctx()
        name, args = "ExInitializeWorkItem", (Item, Routine, Parameter)
        if not isinstance(Item, WORK_QUEUE_ITEM) or not callable(Routine):
            return self._bad(ctx, name, args, "Item is a WORK_QUEUE_ITEM, Routine a routine", None)
        Item.bind(self.k)
        object.__setattr__(Item, "obj", WorkItem(self.k, Routine, (Parameter,)))
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", VOID)
    def ExQueueWorkItem(self, WorkItem_: Any, QueueType: Any) -> ApiCall[None]:
        """VOID ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("ExQueueWorkItem", ())
        name, args = "ExQueueWorkItem", (WorkItem_, QueueType)
        if not isinstance(WorkItem_, WORK_QUEUE_ITEM) or not isinstance(WorkItem_.obj, WorkItem):
            return self._bad(ctx, name, args, "an initialized WORK_QUEUE_ITEM", None)
        self._queue(name, args, WorkItem_.obj, QueueType)
        return self._done(ctx, name, args, None)
