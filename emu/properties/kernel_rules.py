"""The kernel's inline rules: breaches the kernel records as ``violation`` events while the run
happens, each with the sentence it enforces (docs/rules.md lists where each is recorded).

Where no documentation sentence states a rule (emu's own step limit, for example), the entry
says so in its source and gives the rule in its own words, in parentheses.
"""

from __future__ import annotations

from emu.properties.catalogue import (
    CLIENT_RULE,
    HAZARD,
    LIVENESS,
    SCENARIO_CHECK,
    Property,
    register,
)

_CS = ("EnterCriticalSection", "TryEnterCriticalSection", "LeaveCriticalSection")
_SRW = (
    "AcquireSRWLockExclusive",
    "AcquireSRWLockShared",
    "TryAcquireSRWLockExclusive",
    "TryAcquireSRWLockShared",
    "ReleaseSRWLockExclusive",
    "ReleaseSRWLockShared",
)
_SPIN_ACQUIRE = ("KeAcquireSpinLock", "KeAcquireSpinLockAtDpcLevel")
_SPIN_RELEASE = ("KeReleaseSpinLock", "KeReleaseSpinLockFromDpcLevel")
_IRQL_LIMITED = (
    "KeWaitForSingleObject",
    "KeSetEvent",
    "KeInitializeEvent",
    "IoQueueWorkItem",
    "ExQueueWorkItem",
    *_SPIN_ACQUIRE,
)
_QUEUE_WORK = ("IoQueueWorkItem", "ExQueueWorkItem")
_NO_FAILURE_RETURN = (
    *_CS,
    "SocketNotificationRetrieveEvents",
    "InitializeCriticalSection",
    "InitializeCriticalSectionAndSpinCount",
    "DeleteCriticalSection",
    *_SRW,
    "InitializeSRWLock",
    "InterlockedIncrement",
    "InterlockedDecrement",
    "InterlockedExchange",
    "InterlockedExchangeAdd",
    "InterlockedCompareExchange",
    "Sleep",
    "SleepEx",
    "ExitThread",
    "SetLastError",
    "work",
    "KeInitializeEvent",
    "KeSetEvent",
    "KeResetEvent",
    "KeClearEvent",
    "KeReadStateEvent",
    "KeWaitForSingleObject",
    "KeRaiseIrql",
    "KeLowerIrql",
    "KeInitializeSpinLock",
    *_SPIN_ACQUIRE,
    *_SPIN_RELEASE,
    "KeInitializeDpc",
    "KeInsertQueueDpc",
    "KeRemoveQueueDpc",
    "KeSetTargetProcessorDpc",
    "IoAllocateWorkItem",
    "IoFreeWorkItem",
    "ExInitializeWorkItem",
    *_QUEUE_WORK,
    "NotifyIpInterfaceChange",  # a NotificationHandle or a Row of the wrong type (it also fails)
    "GetIpInterfaceEntry",
    "InitializeIpInterfaceEntry",
)
"""The functions that record ``win32.bad_argument`` (most have no failure return to give)."""

register(
    Property(
        "kernel.cs_leave_not_owner",
        CLIENT_RULE,
        ("LeaveCriticalSection",),
        "LeaveCriticalSection (MS doc)",
        "If a thread calls LeaveCriticalSection when it does not have ownership of the "
        "specified critical section object, an error occurs that may cause another thread "
        "using EnterCriticalSection to wait indefinitely.",
        exercised_by=("LeaveCriticalSection",),
    ),
    Property(
        "kernel.cs_uninitialized",
        CLIENT_RULE,
        (*_CS, "DeleteCriticalSection"),
        "InitializeCriticalSection (MS doc)",
        "Before using a critical section, some thread of the process must call "
        "InitializeCriticalSection or InitializeCriticalSectionAndSpinCount to initialize the "
        "object.",
        exercised_by=(*_CS, "DeleteCriticalSection"),
    ),
    Property(
        "kernel.cs_delete_owned",
        CLIENT_RULE,
        ("DeleteCriticalSection",),
        "DeleteCriticalSection (MS doc)",
        "Releases all resources used by an unowned critical section object.",
        exercised_by=("DeleteCriticalSection",),
    ),
    Property(
        "kernel.lock_orphaned",
        CLIENT_RULE,
        (*_CS, "AcquireSRWLockExclusive", "AcquireSRWLockShared", *_SPIN_ACQUIRE),
        "EnterCriticalSection (MS doc); KeAcquireSpinLock (MS doc)",
        "If a thread terminates while it has ownership of a critical section, the state of the "
        "critical section is undefined. / The caller should release the spin lock with "
        "KeReleaseSpinLock as quickly as possible.",
        exercised_by=("EnterCriticalSection", "AcquireSRWLockExclusive", *_SPIN_ACQUIRE),
    ),
    Property(
        "kernel.srw_recursive_acquire",
        CLIENT_RULE,
        _SRW,
        "Slim Reader/Writer (SRW) Locks (MS doc)",
        "Exclusive mode SRW locks cannot be acquired recursively. If a thread tries to acquire "
        "a lock that it already holds, that attempt will fail (for TryAcquireSRWLockExclusive) "
        "or deadlock (for AcquireSRWLockExclusive).",
        exercised_by=_SRW[:4],
    ),
    Property(
        "kernel.srw_release_not_owner",
        CLIENT_RULE,
        _SRW[4:],
        "Slim Reader/Writer (SRW) Locks (MS doc); Wine kernel32 sync test_srwlock_base",
        "The SRW lock must be released by the same thread that acquired it.",
        exercised_by=_SRW[4:],
    ),
    Property(
        "kernel.srw_release_not_owned",
        CLIENT_RULE,
        _SRW[4:],
        "Slim Reader/Writer (SRW) Locks (MS doc)",
        "The SRW lock must be released by the same thread that acquired it.",
        exercised_by=_SRW[4:],
        note="a release of a lock that is not held in that mode at all",
    ),
    Property(
        "kernel.irql_too_high",
        CLIENT_RULE,
        _IRQL_LIMITED,
        "each routine's IRQL requirement (MS doc, wdm.h pages)",
        "Callers of KeWaitForSingleObject must be running at IRQL <= DISPATCH_LEVEL.",
        exercised_by=_IRQL_LIMITED,
        note="the same rule for every routine with an IRQL limit, at its own level",
    ),
    Property(
        "kernel.irql_too_low",
        CLIENT_RULE,
        ("KeAcquireSpinLockAtDpcLevel", "KeReleaseSpinLockFromDpcLevel"),
        "Calling Support Routines That Use Spin Locks (MS doc)",
        "So, it's a fatal error on most Windows platforms to call KeAcquireSpinLockAtDpcLevel "
        "or KeAcquireInStackQueuedSpinLockAtDpcLevel while running at IRQL less than "
        "DISPATCH_LEVEL.",
        exercised_by=("KeAcquireSpinLockAtDpcLevel", "KeReleaseSpinLockFromDpcLevel"),
    ),
    Property(
        "kernel.wait_at_dispatch",
        CLIENT_RULE,
        ("KeWaitForSingleObject",),
        "KeWaitForSingleObject (MS doc)",
        "If Timeout = NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL "
        "and in a nonarbitrary thread context.",
        exercised_by=("KeWaitForSingleObject",),
    ),
    Property(
        "kernel.irql_raise_lower",
        CLIENT_RULE,
        ("KeRaiseIrql",),
        "KeRaiseIrql (MS doc)",
        "If the new IRQL is less than the current IRQL, a bug check occurs.",
        exercised_by=("KeRaiseIrql",),
    ),
    Property(
        "kernel.irql_lower_raise",
        CLIENT_RULE,
        ("KeLowerIrql", "KeReleaseSpinLock"),
        "KeLowerIrql (MS doc)",
        "It is a fatal error to call KeLowerIrql using an input NewIrql that was not the IRQL "
        "returned by the immediately preceding call to KeRaiseIrql.",
        exercised_by=("KeLowerIrql", "KeReleaseSpinLock"),
    ),
    Property(
        "kernel.irql_below_base",
        CLIENT_RULE,
        ("KeLowerIrql", "KeReleaseSpinLock"),
        "Calling Support Routines That Use Spin Locks (MS doc)",
        "Calling KeAcquireSpinLock or KeAcquireInStackQueuedSpinLock sets the IRQL on the "
        "current processor to DISPATCH_LEVEL until a corresponding call to KeReleaseSpinLock or "
        "KeReleaseInStackQueuedSpinLock restores the previous IRQL.",
        exercised_by=("KeLowerIrql", "KeReleaseSpinLock"),
    ),
    Property(
        "kernel.irql_leak",
        CLIENT_RULE,
        ("KeRaiseIrql", "KeAcquireSpinLock"),
        "emu rule (IRQL balance)",
        "(A DPC returns at DISPATCH_LEVEL, a work item at PASSIVE_LEVEL, and a thread exits at "
        "PASSIVE_LEVEL: the IRQL a routine was called at.)",
        exercised_by=("dpc.run", "work.run", "KeRaiseIrql", "KeAcquireSpinLock"),
    ),
    Property(
        "kernel.spinlock_not_held",
        CLIENT_RULE,
        _SPIN_RELEASE,
        "KeReleaseSpinLock (MS doc)",
        "(The caller releases a spin lock it acquired, with the OldIrql KeAcquireSpinLock "
        "returned.)",
        exercised_by=_SPIN_RELEASE,
    ),
    Property(
        "kernel.spinlock_recursive",
        CLIENT_RULE,
        _SPIN_ACQUIRE,
        "KeAcquireSpinLock (MS doc)",
        "Spin locks can cause serious problems if not used judiciously. In particular, no "
        "deadlock protection is performed and dispatching is disabled while the spin lock is "
        "held.",
        exercised_by=_SPIN_ACQUIRE,
    ),
    Property(
        "kernel.worker_stall",
        HAZARD,
        _QUEUE_WORK,
        "System Worker Threads (MS doc)",
        "(A work item that holds a system worker thread for long delays every work item queued "
        "behind it.)",
        exercised_by=("work.run",),
        note="the stall threshold is emu's: 100 ms of virtual time by default",
    ),
    Property(
        "kernel.workitem_requeued",
        CLIENT_RULE,
        _QUEUE_WORK,
        "emu rule (work items)",
        "(A work item is queued again only after its callback has started.)",
        exercised_by=_QUEUE_WORK,
    ),
    Property(
        "kernel.workitem_freed_queued",
        CLIENT_RULE,
        ("IoFreeWorkItem",),
        "IoFreeWorkItem (MS doc)",
        "Only free a work item that is not currently queued.",
        exercised_by=("IoFreeWorkItem",),
    ),
    Property(
        "kernel.step_limit",
        LIVENESS,
        (),
        "emu rule: bounded runs",
        "(Virtual time advances: a run never makes more than the step limit of API calls at "
        "one instant; a spin or livelock ends the run with reason `step limit`.)",
        exercised_by=("api",),
        note="exercised when a program made an API call (the limit counts them): held means "
        "no instant saw more calls than the limit",
    ),
    Property(
        "kernel.time_budget",
        LIVENESS,
        (),
        "emu rule: bounded runs",
        "(A run ends within its time budget, one hour of virtual time unless the scenario's "
        "limits: say otherwise: a loop that lets virtual time advance for ever ends the run "
        "with reason `time budget`, naming the thread and its program position.)",
        exercised_by=("api",),
    ),
    Property(
        "kernel.event_budget",
        LIVENESS,
        (),
        "emu rule: bounded runs",
        "(A run ends within its event budget, 2,000,000 trace events unless the scenario's "
        "limits: say otherwise: a runaway ends the run with reason `event budget`, naming the "
        "thread and its program position, before it exhausts memory.)",
        exercised_by=("api",),
    ),
    Property(
        "kernel.apc_depth_limit",
        LIVENESS,
        ("QueueUserAPC",),
        "emu rule: bounded runs",
        "(An alertable wait inside an APC dispatches the APCs recursively, and the nesting "
        "ends: a thread never nests deliveries deeper than the APC depth limit, 10,000 levels "
        "unless the scenario's limits: say otherwise; a runaway ends the run with reason `apc "
        "depth limit`, naming the thread and its program position.)",
        exercised_by=("apc.deliver",),
    ),
    Property(
        "win32.bad_argument",
        CLIENT_RULE,
        (),
        "emu rule: codes, never exceptions",
        "(An argument no C compiler would accept, passed to a function that has no failure "
        "return, is recorded and the call does nothing.)",
        exercised_by=_NO_FAILURE_RETURN,
        note="exercised when one of the functions that record it was called",
    ),
    Property(
        "scenario.expect",
        SCENARIO_CHECK,
        (),
        "docs/scenarios.md",
        "(A call step's expect: holds.)",
        exercised_by=("scenario.expect",),
        note="exercised when a call step with an expect: ran (a scenario.check event)",
    ),
    Property(
        "scenario.assert",
        SCENARIO_CHECK,
        (),
        "docs/scenarios.md",
        "(An assert: step's condition holds.)",
        exercised_by=("scenario.assert",),
        note="exercised when an assert: step ran",
    ),
    Property(
        "scenario.loop_bound",
        SCENARIO_CHECK,
        (),
        "docs/scenarios.md",
        "(An until: loop meets its condition within max: rounds.)",
        exercised_by=("scenario.loop_bound",),
        note="exercised when an until: loop ran",
    ),
)
