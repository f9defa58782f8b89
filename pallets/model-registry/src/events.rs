//! Events and errors of the pallet, imported into it as pallet sections.

use frame_support::pallet_macros::pallet_section;

/// Events of the pallet.
#[pallet_section]
mod events {
	/// Events of the pallet.
	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A node joined.
		NodeJoined { node: T::AccountId, stake: BalanceOf<T>, capacity: NodeCapacity },
		/// A node changed its declared capacity.
		NodeCapacityUpdated { node: T::AccountId, capacity: NodeCapacity },
		/// A node declared (or, with `None`, withdrew) the base URL at which it serves pieces
		/// of the models it holds to other nodes.
		NodeEndpointSet { node: T::AccountId, endpoint: Option<UrlOf<T>> },
		/// A node stopped taking new work.
		NodePaused { node: T::AccountId },
		/// A node takes new work again.
		NodeResumed { node: T::AccountId },
		/// A node left; its stake was released and its holdings cleared.
		NodeLeft { node: T::AccountId, released: BalanceOf<T> },
		/// A node's QoS fell below the threshold; it was removed and its remaining stake
		/// released (`released` is zero while it has open commitments: the stake is then
		/// released by `StakeReleased` once their tasks resolve).
		NodeKickedOut { node: T::AccountId, qos: u32, released: BalanceOf<T> },
		/// The stake of a node kicked out with open commitments was released after the last
		/// of their tasks resolved (and any slash was taken).
		StakeReleased { node: T::AccountId, amount: BalanceOf<T> },
		/// A model was registered; `deposit` is held from its owner until its copies are
		/// evicted after deregistration.
		/// `piece_root` is the root of the hash tree over its pieces' hashes, against which
		/// nodes verify every piece they receive from each other. `executor` is how its tasks
		/// are executed.
		ModelRegistered {
			model: ModelId,
			owner: T::AccountId,
			size_bytes: u64,
			deposit: BalanceOf<T>,
			piece_root: H256,
			executor: ExecutorKind,
		},
		/// A model was deregistered; every copy is evicted in the following blocks, then the
		/// deposit is released (`ModelDepositReleased`).
		ModelDeregistered { model: ModelId },
		/// `failures` nominations in a row were declined because the model's sources did not
		/// deliver the registered file: the model gets no more nominations until its owner
		/// replaces the sources.
		ModelSourcesFailing { model: ModelId, failures: u32 },
		/// The owner replaced a model's sources. `failures_cleared`: its count of source
		/// failures was cleared, so a model stopped by `ModelSourcesFailing` gets nominations
		/// again (at most once per demand window after the first clearing; otherwise the count
		/// stays and the owner calls again once the window has passed).
		ModelSourcesUpdated { model: ModelId, failures_cleared: bool },
		/// A node must fetch a model and confirm before `deadline`.
		DownloadNominated { model: ModelId, node: T::AccountId, deadline: BlockNumberFor<T> },
		/// A node holds a model (it confirmed a nomination, or it was drawn for a model it had
		/// announced).
		ModelStored { model: ModelId, node: T::AccountId },
		/// A node announced that it has a copy of a model: if a nomination draw picks it for
		/// the model, it becomes a holder at once.
		ModelAnnounced { model: ModelId, node: T::AccountId },
		/// A node declined a nomination.
		NominationDeclined { model: ModelId, node: T::AccountId, reason: DeclineReason },
		/// A nomination was not confirmed in time.
		NominationExpired { model: ModelId, node: T::AccountId },
		/// A holder reported its copy lost.
		ModelLost { model: ModelId, node: T::AccountId },
		/// A node no longer holds a model and must delete it.
		ModelEvicted { model: ModelId, node: T::AccountId },
		/// The replication target of a model changed.
		ReplicationTargetChanged { model: ModelId, old: u32, new: u32 },
		/// A task was created; executors are drawn in a later block. `deposit` (for the input
		/// bytes) is held until the task record is removed.
		TaskCreated {
			task: TaskId,
			model: ModelId,
			creator: T::AccountId,
			fee: BalanceOf<T>,
			deposit: BalanceOf<T>,
		},
		/// A task waits because too few available holders exist.
		TaskWaitingForHolders { task: TaskId, model: ModelId },
		/// Executors were drawn for a task. Each computes the spot-check over
		/// `challenge (32 bytes) ‖ input` (see [`TaskInfo::challenge`]).
		ExecutorsAssigned {
			task: TaskId,
			executors: ExecutorsOf<T>,
			commit_deadline: BlockNumberFor<T>,
			challenge: H256,
		},
		/// An executor committed.
		ResultCommitted { task: TaskId, executor: T::AccountId },
		/// A task entered its reveal phase.
		RevealPhaseStarted { task: TaskId, reveal_deadline: BlockNumberFor<T> },
		/// An executor revealed its result; `result` is the sealed result (see
		/// `reveal_result`).
		ResultRevealed { task: TaskId, executor: T::AccountId, result: H256 },
		/// A task resolved with a majority result; `paid` shared the fee.
		TaskCompleted { task: TaskId, result: H256, paid: ExecutorsOf<T> },
		/// The first round's executors did not all reveal the same result (they disagreed, or
		/// one withheld its result or never committed): nobody is paid or slashed yet; a jury
		/// of up to `jury` other holders (those available now; 0: none yet, the task waits for
		/// one up to a demand window) will be drawn in a later block to answer the same task,
		/// and its majority decides if its result also leads the count of both rounds (see the
		/// pallet's `appeal` module).
		TaskAppealed { task: TaskId, jury: u32 },
		/// A task ended without result; the fee was refunded.
		TaskFailed { task: TaskId, reason: TaskFailure },
		/// A task was cancelled by its creator.
		TaskCancelled { task: TaskId },
		/// An executor disagreeing with the majority, or withholding its committed result once
		/// a majority exists, was slashed (the amount is burnt); it may not hold the model
		/// again for [`COOLDOWN_WINDOWS`] demand windows.
		ExecutorSlashed { task: TaskId, node: T::AccountId, amount: BalanceOf<T> },
		/// Parameters were replaced.
		ParamsUpdated { params: ParamsOf<T> },
		/// `MAX_EMPTY_PASSES` replication passes in a row found no node able to take the
		/// model: it gets no more nominations until the largest capacities declared can take it
		/// and a node joined, raised its capacity or resumed, or a demand window passed.
		ReplicationParked { model: ModelId },
		/// The deposit of a deregistered model was returned to its owner once its copies and
		/// nominations were all evicted.
		ModelDepositReleased { model: ModelId, owner: T::AccountId, amount: BalanceOf<T> },
	}
}

/// Errors of the pallet.
#[pallet_section]
mod errors {
	/// Errors of the pallet.
	#[pallet::error]
	pub enum Error<T> {
		/// The account already is a node.
		AlreadyJoined,
		/// The account is not a registered node.
		NotANode,
		/// The stake does not cover the declared capacity (`MinNodeStake` plus the price of its
		/// VRAM and disk; see the runtime API's `required_stake`).
		StakeTooLow,
		/// Not enough free balance for the stake, deposit or fee.
		InsufficientBalance,
		/// `MaxNodes` nodes are already registered.
		TooManyNodes,
		/// The new capacity is below what the node's holdings and nominations need.
		CapacityBelowUsage,
		/// The node is already paused.
		AlreadyPaused,
		/// The node is not paused.
		NotPaused,
		/// The node committed results to tasks that are not resolved yet; it may leave once
		/// they are.
		TasksInFlight,
		/// The node is leaving; it no longer commits results.
		NodeLeaving,
		/// The model is already registered.
		ModelAlreadyRegistered,
		/// No such model.
		ModelNotFound,
		/// `MaxModels` models are already registered.
		TooManyModels,
		/// A model needs at least one source.
		NoSources,
		/// A source URL is empty.
		EmptySource,
		/// Only the owner (or root) may do this.
		NotModelOwner,
		/// The node is not nominated for this model.
		NotNominated,
		/// The node does not hold this model.
		NotHolder,
		/// The node already holds this model.
		AlreadyHolder,
		/// The node is already nominated for this model.
		AlreadyNominated,
		/// The node lacks free disk or VRAM for the model.
		InsufficientCapacity,
		/// The node reached `MaxModelsPerNode`.
		TooManyModelsOnNode,
		/// The model reached `MaxHoldersPerModel` holders and nominations.
		HoldersFull,
		/// The model already has as many holders and nominations as its target.
		ReplicasSufficient,
		/// The fee is below `MinTaskFee`.
		FeeBelowMinimum,
		/// The task queue is full.
		TaskQueueFull,
		/// No such task.
		TaskNotFound,
		/// The caller is not an executor of the task's current round (after an appeal, only
		/// the jury answers).
		NotExecutor,
		/// The task is not in the phase this call belongs to.
		WrongPhase,
		/// The executor already committed.
		AlreadyCommitted,
		/// The executor did not commit.
		NotCommitted,
		/// The executor already revealed.
		AlreadyRevealed,
		/// Result and salt do not match the commitment.
		CommitmentMismatch,
		/// An appeal juror revealed a first-round executor's sealed result as its own: a
		/// juror reveals the result itself, which a copy of a public seal is not.
		CopiedSeal,
		/// Only the task's creator may cancel it.
		NotTaskCreator,
		/// Executors are already assigned; the task can no longer be cancelled.
		TaskAlreadyAssigned,
		/// The parameter set is inconsistent.
		InvalidParams,
		/// The node was slashed on this model recently; it may not hold it again yet.
		CoolingDown,
		/// The node already announced this model.
		AlreadyAnnounced,
		/// The model size is zero.
		InvalidSize,
		/// The model size exceeds `MaxModelSize`.
		ModelTooLarge,
		/// A source URL does not start with `http://` or `https://`.
		UnsupportedSourceScheme,
		/// A source URL has no host, or contains spaces or control characters.
		MalformedSource,
		/// The node's previous pause or resume is still being applied to its holdings (cleanup
		/// queue); it may change its status again once that is done.
		StatusChangePending,
		/// The account left recently; it may join again one demand window after leaving.
		RejoinTooSoon,
		/// The number of piece hashes does not match the model's size (one per piece of
		/// `piece_size(size)` bytes, see `pieces.rs`).
		PieceCountMismatch,
		/// A node endpoint is not a bare `http://host[:port]` or `https://host[:port]` (an
		/// optional final `/` aside): it has a path, a query, a fragment or a `user@` part, its
		/// host is not a DNS name, an IPv4 address or a bracketed IPv6 address, or its port is
		/// not 1 to 65535 (see [`crate::endpoint`]).
		InvalidEndpoint,
		/// The name of an external executor is empty, or not made of `[a-z0-9-]` (not starting
		/// with `-`).
		InvalidEngineName,
	}
}
