// SPDX-License-Identifier: GPL-2.0
/*
 * cancel_thread.c - a WHPX virtual machine monitor written the way it is
 * written on Windows, run against libwhv: stopping a running virtual
 * processor from another thread.
 *
 * The real-mode guest reports on port 0x80 that it runs, then spins
 * counting in RAM until a flag is set. The VMM's main thread runs it; a
 * second thread (CreateThread) watches the counter move, which proves the
 * guest is executing, and calls WHvCancelRunVirtualProcessor. The main
 * thread sees WHvRunVpExitReasonCanceled, checks that the guest stopped
 * inside its loop with its state intact, and runs it again; after the
 * second cancel it does what the docs name as the reason to cancel, "to
 * inject an event into the processor": it injects interrupt 0x20, whose
 * handler in the guest ends the loop, and the guest finishes (port 0x80,
 * then HLT). Port I/O is completed the simple way, RIP += the exit's
 * InstructionLength, without the emulator.
 *
 * Output is TAP; the exit status is non-zero on failure. Nothing here is
 * Linux-specific: with the Windows SDK it builds as
 *   cl cancel_thread.c WinHvPlatform.lib
 * and against libwhv as
 *   cc -I lib/libwhv/include -I lib/libwhv/include/compat \
 *      cancel_thread.c lib/libwhv/libwhv.a -lpthread
 */
#include <windows.h>
#include <WinHvPlatform.h>
#include <stdio.h>
#include <string.h>

#define RAM_SIZE	0x10000
#define CODE_GPA	0x1000
#define STACK_TOP	0x7000
#define COUNTER		0x500		/* UINT32, incremented by the loop */
#define STOP_FLAG	0x504		/* UINT8, ends the loop */
#define ISR_COUNT	0x508		/* UINT16 */
#define ISR_IP		0x50C		/* UINT16, the IP the interrupt hit */
#define FINAL_COUNT	0x510		/* UINT32 */
#define TIMER_VECTOR	0x20
#define POST_PORT	0x80		/* the guest's progress: 1 running, 2 done */

#define RFLAGS_IF	0x200

/* The guest, assembled by hand, loaded at CODE_GPA (0000:1000). */
#define SPIN		(CODE_GPA + 0x000E)
#define SPIN_END	(CODE_GPA + 0x001A)
#define ISR		(CODE_GPA + 0x0027)

static const UINT8 GuestCode[] = {
	/* start: */
	/* 0000 */ 0x31, 0xC0,					/* xor ax, ax */
	/* 0002 */ 0x8E, 0xD8,					/* mov ds, ax */
	/* 0004 */ 0x8E, 0xD0,					/* mov ss, ax */
	/* 0006 */ 0xBC, 0x00, 0x70,				/* mov sp, 0x7000 */
	/* 0009 */ 0xFB,					/* sti */
	/* 000A */ 0xB0, 0x01,					/* mov al, 1 */
	/* 000C */ 0xE6, 0x80,					/* out 0x80, al  ; "running" */
	/* spin: */
	/* 000E */ 0x66, 0xFF, 0x06, 0x00, 0x05,		/* inc dword ptr [0x500] */
	/* 0013 */ 0x80, 0x3E, 0x04, 0x05, 0x00,		/* cmp byte ptr [0x504], 0 */
	/* 0018 */ 0x74, 0xF4,					/* je spin */
	/* spin_end: */
	/* 001A */ 0x66, 0xA1, 0x00, 0x05,			/* mov eax, dword ptr [0x500] */
	/* 001E */ 0x66, 0xA3, 0x10, 0x05,			/* mov dword ptr [0x510], eax */
	/* 0022 */ 0xB0, 0x02,					/* mov al, 2 */
	/* 0024 */ 0xE6, 0x80,					/* out 0x80, al  ; "done" */
	/* 0026 */ 0xF4,					/* hlt */
	/* Vector 0x20, injected by the VMM: note it, and end the loop. */
	/* isr: */
	/* 0027 */ 0x55,					/* push bp */
	/* 0028 */ 0x89, 0xE5,					/* mov bp, sp */
	/* 002A */ 0x50,					/* push ax */
	/* 002B */ 0xFF, 0x06, 0x08, 0x05,			/* inc word ptr [0x508] */
	/* 002F */ 0x8B, 0x46, 0x02,				/* mov ax, word ptr [bp + 2]  ; the interrupted IP */
	/* 0032 */ 0xA3, 0x0C, 0x05,				/* mov word ptr [0x50C], ax */
	/* 0035 */ 0xC6, 0x06, 0x04, 0x05, 0x01,		/* mov byte ptr [0x504], 1 */
	/* 003A */ 0x58,					/* pop ax */
	/* 003B */ 0x5D,					/* pop bp */
	/* 003C */ 0xCF,					/* iret */
};

#define VP_INDEX 0

/* What the canceling thread gets, and what it leaves. */
typedef struct _CANCEL_REQUEST {
	WHV_PARTITION_HANDLE Partition;
	volatile UINT32 *Counter;	/* the guest's loop counter */
	UINT32 CounterBefore;		/* what the thread saw move */
	UINT32 CounterAfter;
} CANCEL_REQUEST;

static int TestCount;
static int FailureCount;

static void Report(BOOL Passed, const char *Description)
{
	TestCount++;
	if (!Passed)
		FailureCount++;
	printf("%s %d - %s\n", Passed ? "ok" : "not ok", TestCount, Description);
}

static void Expect(BOOL *Passed, const char *What, UINT64 Actual, UINT64 Expected)
{
	if (Actual == Expected)
		return;
	printf("#   %s: 0x%llx, expected 0x%llx\n", What,
	       (unsigned long long)Actual, (unsigned long long)Expected);
	*Passed = FALSE;
}

/*
 * The canceling thread: once the counter has moved, the virtual processor
 * is running guest code; let it spin a little longer, then stop it.
 */
static DWORD WINAPI CancelThreadProc(LPVOID Parameter)
{
	CANCEL_REQUEST *Request = (CANCEL_REQUEST *)Parameter;
	UINT32 Start = *Request->Counter;
	int Waited;

	for (Waited = 0; *Request->Counter == Start; Waited++) {
		if (Waited == 10000)
			return (DWORD)E_ABORT;	/* the guest never ran */
		Sleep(1);
	}
	Request->CounterBefore = *Request->Counter;
	Sleep(20);
	Request->CounterAfter = *Request->Counter;
	return (DWORD)WHvCancelRunVirtualProcessor(Request->Partition, VP_INDEX, 0);
}

/*
 * Runs the virtual processor while another thread cancels it; TRUE if the
 * run came back Canceled, the thread ended and its handle was closed.
 */
static BOOL RunAndCancel(WHV_PARTITION_HANDLE Partition, UINT8 *Memory,
			 WHV_RUN_VP_EXIT_CONTEXT *Exit, CANCEL_REQUEST *Request)
{
	DWORD ThreadId = 0, ExitCode = 0, Wait;
	HANDLE Thread;
	HRESULT hr;
	BOOL Ok = TRUE;

	ZeroMemory(Request, sizeof(*Request));
	Request->Partition = Partition;
	Request->Counter = (volatile UINT32 *)(Memory + COUNTER);
	Thread = CreateThread(NULL, 0, CancelThreadProc, Request, 0, &ThreadId);
	if (!Thread) {
		printf("#   CreateThread failed: %lu\n", (unsigned long)GetLastError());
		return FALSE;
	}

	hr = WHvRunVirtualProcessor(Partition, VP_INDEX, Exit, sizeof(*Exit));
	Expect(&Ok, "WHvRunVirtualProcessor", (UINT32)hr, (UINT32)S_OK);
	if (SUCCEEDED(hr)) {
		Expect(&Ok, "exit reason", Exit->ExitReason, WHvRunVpExitReasonCanceled);
		if (Exit->ExitReason == WHvRunVpExitReasonCanceled)
			Expect(&Ok, "cancel reason", Exit->CancelReason.CancelReason,
			       WHvRunVpCancelReasonUser);
	}

	Wait = WaitForSingleObject(Thread, 10000);
	Expect(&Ok, "WaitForSingleObject", Wait, WAIT_OBJECT_0);
	if (Wait == WAIT_OBJECT_0) {
		if (!GetExitCodeThread(Thread, &ExitCode))
			Ok = FALSE;
		Expect(&Ok, "WHvCancelRunVirtualProcessor in the thread", ExitCode, (UINT32)S_OK);
	}
	if (!CloseHandle(Thread))
		Ok = FALSE;
	return Ok;
}

static HRESULT SetRip(WHV_PARTITION_HANDLE Partition, UINT64 Rip)
{
	WHV_REGISTER_NAME Name = WHvX64RegisterRip;
	WHV_REGISTER_VALUE Value;

	ZeroMemory(&Value, sizeof(Value));
	Value.Reg64 = Rip;
	return WHvSetVirtualProcessorRegisters(Partition, VP_INDEX, &Name, 1, &Value);
}

/* OUT to the POST port: note the value, step over the instruction. */
static BOOL CompletePostCode(WHV_PARTITION_HANDLE Partition, const WHV_RUN_VP_EXIT_CONTEXT *Exit,
			     UINT8 Expected)
{
	BOOL Ok = TRUE;

	Expect(&Ok, "exit reason", Exit->ExitReason, WHvRunVpExitReasonX64IoPortAccess);
	if (!Ok)
		return FALSE;
	Expect(&Ok, "port", Exit->IoPortAccess.PortNumber, POST_PORT);
	Expect(&Ok, "OUT", Exit->IoPortAccess.AccessInfo.IsWrite, 1);
	Expect(&Ok, "POST code", Exit->IoPortAccess.Rax & 0xFF, Expected);
	Expect(&Ok, "instruction length", Exit->VpContext.InstructionLength, 2);
	if (Ok && FAILED(SetRip(Partition, Exit->VpContext.Rip + Exit->VpContext.InstructionLength)))
		Ok = FALSE;
	return Ok;
}

/*
 * Hands interrupt 0x20 to the guest: at once if it can take one, else
 * after asking for, and getting, an interrupt-window exit.
 */
static BOOL InjectTimerInterrupt(WHV_PARTITION_HANDLE Partition, const WHV_RUN_VP_EXIT_CONTEXT *Exit)
{
	WHV_REGISTER_NAME Name;
	WHV_REGISTER_VALUE Value;
	WHV_RUN_VP_EXIT_CONTEXT WindowExit;
	HRESULT hr;

	if (!(Exit->VpContext.Rflags & RFLAGS_IF) || Exit->VpContext.ExecutionState.InterruptShadow) {
		Name = WHvX64RegisterDeliverabilityNotifications;
		ZeroMemory(&Value, sizeof(Value));
		Value.DeliverabilityNotifications.InterruptNotification = 1;
		hr = WHvSetVirtualProcessorRegisters(Partition, VP_INDEX, &Name, 1, &Value);
		if (SUCCEEDED(hr))
			hr = WHvRunVirtualProcessor(Partition, VP_INDEX, &WindowExit,
						    sizeof(WindowExit));
		if (FAILED(hr) || WindowExit.ExitReason != WHvRunVpExitReasonX64InterruptWindow) {
			printf("#   waiting for an interrupt window failed: hr 0x%08x\n",
			       (unsigned int)hr);
			return FALSE;
		}
	}

	Name = WHvRegisterPendingInterruption;
	ZeroMemory(&Value, sizeof(Value));
	Value.PendingInterruption.InterruptionPending = 1;
	Value.PendingInterruption.InterruptionType = WHvX64PendingInterrupt;
	Value.PendingInterruption.InterruptionVector = TIMER_VECTOR;
	hr = WHvSetVirtualProcessorRegisters(Partition, VP_INDEX, &Name, 1, &Value);
	if (FAILED(hr)) {
		printf("#   WHvSetVirtualProcessorRegisters(PendingInterruption) failed: 0x%08x\n",
		       (unsigned int)hr);
		return FALSE;
	}
	return TRUE;
}

static HRESULT LoadGuest(WHV_PARTITION_HANDLE Partition, UINT8 *Memory)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterCs, WHvX64RegisterRip, WHvX64RegisterRflags,
	};
	WHV_REGISTER_VALUE Values[_countof(Names)];
	UINT16 IsrVector[2] = { (UINT16)ISR, 0 };	/* IVT entry: IP, CS */

	memcpy(Memory + CODE_GPA, GuestCode, sizeof(GuestCode));
	memcpy(Memory + TIMER_VECTOR * 4, IsrVector, sizeof(IsrVector));

	ZeroMemory(Values, sizeof(Values));
	Values[0].Segment.Selector = 0;
	Values[0].Segment.Base = 0;
	Values[0].Segment.Limit = 0xFFFF;
	Values[0].Segment.Attributes = 0x9B;
	Values[1].Reg64 = CODE_GPA;
	Values[2].Reg64 = 0x2;
	return WHvSetVirtualProcessorRegisters(Partition, VP_INDEX, Names, _countof(Names), Values);
}

int main(void)
{
	WHV_PARTITION_HANDLE Partition = NULL;
	WHV_PARTITION_PROPERTY Property;
	WHV_RUN_VP_EXIT_CONTEXT Exit;
	CANCEL_REQUEST Request;
	WHV_CAPABILITY Capability;
	UINT32 Written, FirstCount = 0;
	UINT8 *Memory = NULL;
	HRESULT hr;
	BOOL Ok, Canceled;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("# cancel_thread: WHvCancelRunVirtualProcessor from a second thread\n");

	hr = WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &Capability,
			      sizeof(Capability), &Written);
	if (FAILED(hr) || !Capability.HypervisorPresent) {
		printf("not ok 1 - the hypervisor is present (hr 0x%08x)\n", (unsigned int)hr);
		printf("1..1\n");
		return 1;
	}

	hr = WHvCreatePartition(&Partition);
	if (SUCCEEDED(hr)) {
		ZeroMemory(&Property, sizeof(Property));
		Property.ProcessorCount = 1;
		hr = WHvSetPartitionProperty(Partition, WHvPartitionPropertyCodeProcessorCount,
					     &Property, sizeof(Property));
	}
	if (SUCCEEDED(hr))
		hr = WHvSetupPartition(Partition);
	if (SUCCEEDED(hr)) {
		Memory = (UINT8 *)VirtualAlloc(NULL, RAM_SIZE, MEM_RESERVE | MEM_COMMIT,
					       PAGE_READWRITE);
		if (!Memory)
			hr = HRESULT_FROM_WIN32(GetLastError());
	}
	if (SUCCEEDED(hr))
		hr = WHvMapGpaRange(Partition, Memory, 0, RAM_SIZE,
				    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
				    WHvMapGpaRangeFlagExecute);
	if (SUCCEEDED(hr))
		hr = WHvCreateVirtualProcessor(Partition, VP_INDEX, 0);
	if (SUCCEEDED(hr))
		hr = LoadGuest(Partition, Memory);
	Ok = SUCCEEDED(hr);
	if (!Ok)
		printf("#   setting up the partition failed: 0x%08x\n", (unsigned int)hr);
	Report(Ok, "partition, memory and a real-mode virtual processor set up");
	if (!Ok)
		goto out;

	/* The guest says it runs. */
	hr = WHvRunVirtualProcessor(Partition, VP_INDEX, &Exit, sizeof(Exit));
	Ok = SUCCEEDED(hr) && CompletePostCode(Partition, &Exit, 1);
	Report(Ok, "the guest starts and reports on port 0x80");
	if (!Ok)
		goto out;

	/* First cancel: the spinning guest comes back to this thread. */
	Canceled = RunAndCancel(Partition, Memory, &Exit, &Request);
	Report(Canceled, "a second thread cancels the spinning guest: the run returns Canceled");

	Ok = Canceled;
	if (Canceled) {
		FirstCount = *(volatile UINT32 *)(Memory + COUNTER);
		if (Exit.VpContext.Rip < SPIN || Exit.VpContext.Rip >= SPIN_END) {
			printf("#   stopped at %04x:%04llx, outside the loop\n",
			       Exit.VpContext.Cs.Selector, (unsigned long long)Exit.VpContext.Rip);
			Ok = FALSE;
		}
		if (Request.CounterAfter == Request.CounterBefore) {
			printf("#   the counter did not move while the thread waited\n");
			Ok = FALSE;
		}
		Expect(&Ok, "counter moved before the cancel", FirstCount >= Request.CounterAfter, TRUE);
		Expect(&Ok, "RFLAGS.IF", Exit.VpContext.Rflags & RFLAGS_IF, RFLAGS_IF);
	}
	Report(Ok, "the canceled guest stopped inside its loop, the loop was running");
	if (!Canceled)
		goto out;

	/* Second cancel: the guest resumed where it was. */
	Canceled = RunAndCancel(Partition, Memory, &Exit, &Request);
	Ok = Canceled;
	if (Canceled) {
		if (Exit.VpContext.Rip < SPIN || Exit.VpContext.Rip >= SPIN_END) {
			printf("#   stopped at %04x:%04llx, outside the loop\n",
			       Exit.VpContext.Cs.Selector, (unsigned long long)Exit.VpContext.Rip);
			Ok = FALSE;
		}
		Expect(&Ok, "the counter went on", *(volatile UINT32 *)(Memory + COUNTER) > FirstCount,
		       TRUE);
	}
	Report(Ok, "run again, the guest goes on counting and is canceled again");
	if (!Canceled)
		goto out;

	/* Now what a cancel is for: inject an event, let the guest finish. */
	Ok = InjectTimerInterrupt(Partition, &Exit);
	if (Ok) {
		hr = WHvRunVirtualProcessor(Partition, VP_INDEX, &Exit, sizeof(Exit));
		Ok = SUCCEEDED(hr) && CompletePostCode(Partition, &Exit, 2);
	}
	if (Ok) {
		Expect(&Ok, "interrupt handler runs", *(UINT16 *)(Memory + ISR_COUNT), 1);
		Expect(&Ok, "interrupted IP in the loop",
		       *(UINT16 *)(Memory + ISR_IP) >= SPIN && *(UINT16 *)(Memory + ISR_IP) < SPIN_END,
		       TRUE);
	}
	Report(Ok, "an interrupt injected after the cancel reaches the guest's handler");

	if (Ok) {
		hr = WHvRunVirtualProcessor(Partition, VP_INDEX, &Exit, sizeof(Exit));
		Ok = SUCCEEDED(hr);
		if (Ok)
			Expect(&Ok, "exit reason", Exit.ExitReason, WHvRunVpExitReasonX64Halt);
		Expect(&Ok, "final count",
		       *(UINT32 *)(Memory + FINAL_COUNT) == *(UINT32 *)(Memory + COUNTER) &&
		       *(UINT32 *)(Memory + FINAL_COUNT) > FirstCount, TRUE);
	}
	Report(Ok, "the guest leaves its loop and halts");

out:
	Ok = TRUE;
	if (Partition) {
		WHvDeleteVirtualProcessor(Partition, VP_INDEX);
		Expect(&Ok, "WHvDeletePartition", (UINT32)WHvDeletePartition(Partition),
		       (UINT32)S_OK);
	}
	if (Memory && !VirtualFree(Memory, 0, MEM_RELEASE))
		Ok = FALSE;
	Report(Ok, "partition and memory released");

	printf("1..%d\n", TestCount);
	return FailureCount ? 1 : 0;
}
