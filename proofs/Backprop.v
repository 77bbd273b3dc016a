(** * BP1-BP4 for every depth, every list of widths and every batch size.

    The derivation's network, as [reference/network.py] computes it (proofs/README.md maps each name to its
    line): layers l = 2..L, each with W^l (n_l rows, n_{l-1} columns) and b^l; z^l = W^l a^{l-1} + b^l and
    a^l = σ(z^l); a batch of N samples; the cost C = (1/N) Σ_x c_x(a^L_x), the mean over the batch of a per-sample
    cost. δ^l is defined as a derivative of C (Coquelicot's [Derive]), never as the recursion; BP1-BP4 are then
    theorems. The hypotheses: σ is differentiable everywhere with derivative σ', and each per-sample cost c_x has
    the gradient ∇c_x (in the sense of [has_gradient] below, which the quadratic cost meets: [quadratic_gradient]). *)

From Coq Require Import Reals Lia List.
From Coquelicot Require Import Coquelicot.
Import ListNotations.
Open Scope R_scope.

Definition vec := nat -> R.
Definition mat := nat -> nat -> R.

(** ** Finite sums: [sum n f] is Σ_{k<n} f k. *)
Fixpoint sum (n : nat) (f : nat -> R) : R :=
  match n with O => 0 | S m => sum m f + f m end.

Lemma sum_ext n f g : (forall k, (k < n)%nat -> f k = g k) -> sum n f = sum n g.
Proof.
  induction n as [|n IH]; simpl; intros H; [reflexivity|].
  rewrite IH by (intros; apply H; lia). rewrite H by lia. reflexivity.
Qed.

Lemma sum_plus n f g : sum n (fun k => f k + g k) = sum n f + sum n g.
Proof. induction n as [|n IH]; simpl; [ring|]. rewrite IH. ring. Qed.

Lemma sum_scal n c f : sum n (fun k => c * f k) = c * sum n f.
Proof. induction n as [|n IH]; simpl; [ring|]. rewrite IH. ring. Qed.

Lemma sum_zero n : sum n (fun _ => 0) = 0.
Proof. induction n as [|n IH]; simpl; [reflexivity|]. rewrite IH. ring. Qed.

Lemma sum_swap n m (f : nat -> nat -> R) :
  sum n (fun k => sum m (fun j => f k j)) = sum m (fun j => sum n (fun k => f k j)).
Proof.
  induction n as [|n IH]; simpl.
  - rewrite sum_zero. reflexivity.
  - rewrite IH, <- sum_plus. reflexivity.
Qed.

(** Σ_k f k [k = j] = f j, for j < n. *)
Lemma sum_pick n j f : (j < n)%nat -> sum n (fun k => if Nat.eqb k j then f k else 0) = f j.
Proof.
  induction n as [|n IH]; intros H; [lia|]. simpl. destruct (Nat.eqb n j) eqn:E.
  - apply Nat.eqb_eq in E; subst.
    rewrite (sum_ext _ _ (fun _ => 0)), sum_zero; [ring|].
    intros k Hk. destruct (Nat.eqb k j) eqn:F; [apply Nat.eqb_eq in F; lia | reflexivity].
  - apply Nat.eqb_neq in E. rewrite IH by lia. ring.
Qed.

(** ** One-variable derivatives (Coquelicot), as used below. *)
Lemma derive_value (f : R -> R) (x l l' : R) : is_derive f x l -> l = l' -> is_derive f x l'.
Proof. intros H E. subst. exact H. Qed.

Lemma derive_ext (f g : R -> R) (x l : R) : (forall t : R, f t = g t) -> is_derive f x l -> is_derive g x l.
Proof. exact (is_derive_ext f g x l). Qed.

Lemma derive_plus (f g : R -> R) x df dg :
  is_derive f x df -> is_derive g x dg -> is_derive (fun u => f u + g u) x (df + dg).
Proof. intros Hf Hg. exact (is_derive_plus f g x df dg Hf Hg). Qed.

Lemma derive_const (a x : R) : is_derive (fun _ => a) x 0.
Proof. exact (is_derive_const a x). Qed.

Lemma derive_shift (a x : R) : is_derive (fun u => a + u) x 1.
Proof.
  apply derive_value with (0 + 1); [|ring].
  apply derive_plus; [apply derive_const | exact (is_derive_id x)].
Qed.

Lemma derive_times_const (f : R -> R) x df (a : R) : is_derive f x df -> is_derive (fun u => f u * a) x (df * a).
Proof.
  intros H. apply (derive_ext (fun u => a * f u)); [intros t; ring|].
  apply derive_value with (a * df); [exact (is_derive_scal f x a df H) | ring].
Qed.

Lemma derive_sum n (f : nat -> R -> R) (df : nat -> R) x :
  (forall k, (k < n)%nat -> is_derive (f k) x (df k)) ->
  is_derive (fun u => sum n (fun k => f k u)) x (sum n df).
Proof.
  induction n as [|n IH]; intros H; simpl.
  - apply derive_const.
  - apply derive_plus; [apply IH; intros; apply H; lia | apply H; lia].
Qed.

(** ** The gradient of a function of a vector, through curves.

    [F] has gradient [g] at [z] (in its first [n] coordinates) when along every curve γ through z whose first n
    coordinates are differentiable at 0, F ∘ γ is differentiable at 0 with derivative Σ_{k<n} g_k γ'_k (the chain
    rule, as a definition: Hadamard's derivative, implied by Fréchet's). Taken along the coordinate curves, it
    gives the partial derivatives ([partial_derivative]). *)
Definition moves (γ : R -> vec) (n : nat) (dγ : vec) : Prop :=
  forall k, (k < n)%nat -> is_derive (fun u => γ u k) 0 (dγ k).

Definition has_gradient (F : vec -> R) (n : nat) (z g : vec) : Prop :=
  forall γ dγ, (forall k, (k < n)%nat -> γ 0 k = z k) -> moves γ n dγ ->
  is_derive (fun u => F (γ u)) 0 (sum n (fun k => g k * dγ k)).

(** z with its j-th coordinate moved by t. *)
Definition bump (z : vec) (j : nat) (t : R) : vec := fun k => if Nat.eqb k j then z k + t else z k.

Lemma bump_moves z j n : moves (bump z j) n (fun k => if Nat.eqb k j then 1 else 0).
Proof.
  intros k _. unfold bump. destruct (Nat.eqb k j); [apply derive_shift | apply derive_const].
Qed.

Lemma bump_at_0 z j k : bump z j 0 k = z k.
Proof. unfold bump. destruct (Nat.eqb k j); ring. Qed.

Lemma partial_derivative F n z g j :
  has_gradient F n z g -> (j < n)%nat -> is_derive (fun t => F (bump z j t)) 0 (g j).
Proof.
  intros H Hj. apply derive_value with (sum n (fun k => g k * (if Nat.eqb k j then 1 else 0))).
  - apply H; [intros; apply bump_at_0 | apply bump_moves].
  - rewrite (sum_ext _ _ (fun k => if Nat.eqb k j then g k else 0)); [apply sum_pick; exact Hj|].
    intros k _. destruct (Nat.eqb k j); ring.
Qed.

(** The hypothesis on a cost is met by the derivation's: the quadratic cost ½ Σ_k (a_k − y_k)² has the gradient
    a − y (so [has_gradient] is no vacuous assumption). *)
Definition quadratic (n : nat) (y : vec) (a : vec) : R := sum n (fun k => (a k - y k) * (a k - y k)) / 2.

Lemma quadratic_gradient n y a : has_gradient (quadratic n y) n a (fun k => a k - y k).
Proof.
  intros γ dγ H0 Hγ. unfold quadratic.
  apply (derive_ext (fun u => / 2 * sum n (fun k => (γ u k - y k) * (γ u k - y k)))); [intros; unfold Rdiv; ring|].
  apply derive_value with (/ 2 * sum n (fun k => 2 * ((a k - y k) * dγ k))).
  - apply is_derive_scal. apply derive_sum. intros k Hk.
    assert (D : is_derive (fun u => γ u k - y k) 0 (dγ k)).
    { apply (derive_ext (fun u => γ u k + - y k)); [intros; ring|].
      apply derive_value with (dγ k + 0); [apply derive_plus; [apply Hγ; exact Hk | apply derive_const] | ring]. }
    apply derive_value with (dγ k * (γ 0 k - y k) + (γ 0 k - y k) * dγ k).
    + exact (is_derive_mult (fun u => γ u k - y k) (fun u => γ u k - y k) 0 (dγ k) (dγ k) D D Rmult_comm).
    + rewrite H0 by exact Hk. ring.
  - rewrite sum_scal. field.
Qed.

(** ** The network. *)
Record layer := { inputs : nat; W : mat; b : vec }.
(** A layer l: [inputs] is n_{l−1}, [W k j] is W^l_{kj} (k < n_l, j < n_{l−1}), [b k] is b^l_k. *)

Definition affine (L : layer) (a : vec) : vec := fun k => sum (inputs L) (fun j => W L k j * a j) + b L k.
(** z^l = W^l a^{l−1} + b^l *)

Definition act (f : R -> R) (z : vec) : vec := fun k => f (z k).
(** a^l = σ(z^l), element by element *)

Section Network.
Variables (σ σ' τ τ' : R -> R).
Hypothesis σ_derivative : forall x, is_derive σ x (σ' x).
Hypothesis τ_derivative : forall x, is_derive τ x (τ' x).
(** σ, the hidden layers' activation, and τ, the output layer's (the same function, or another), each
    differentiable everywhere with the derivative σ', τ'. *)

Variable nL : nat.
(** n_L, the width of the output layer. *)

(** The cost of one sample from the weighted input z of a layer: through the layers [above] it to the cost c of
    the output's activation. *)
Fixpoint cost_from (c : vec -> R) (above : list layer) (z : vec) : R :=
  match above with
  | [] => c (act τ z)
  | L :: rest => cost_from c rest (affine L (act σ z))
  end.

(** The width of the layer below [above]: n_L for the output layer, else the next layer's inputs. *)
Definition width (above : list layer) : nat := match above with [] => nL | L :: _ => inputs L end.

(** δ^l_j of one sample: the derivative of its cost with respect to z^l_j. *)
Definition delta (c : vec -> R) (above : list layer) (z : vec) (j : nat) : R :=
  Derive (fun t => cost_from c (above) (bump z j t)) 0.

(** The derivation's recursion, as a function: BP1 at the output, BP2 below it. *)
Fixpoint recursion (grad : vec -> vec) (above : list layer) (z : vec) : vec :=
  match above with
  | [] => fun j => grad (act τ z) j * τ' (z j)
  | L :: rest => fun j => sum (width rest) (fun k => W L k j * recursion grad rest (affine L (act σ z)) k) * σ' (z j)
  end.

Variables (c : vec -> R) (grad : vec -> vec).
Hypothesis c_gradient : forall a, has_gradient c nL a (grad a).
(** The per-sample cost has the gradient ∇_a c everywhere. *)

Lemma act_moves f f' γ dγ z n :
  (forall x, is_derive f x (f' x)) -> (forall k, (k < n)%nat -> γ 0 k = z k) -> moves γ n dγ ->
  moves (fun u => act f (γ u)) n (fun k => dγ k * f' (z k)).
Proof.
  intros Hf H0 H k Hk. unfold act. rewrite <- H0 by exact Hk.
  exact (is_derive_comp f (fun u => γ u k) 0 (f' (γ 0 k)) (dγ k) (Hf _) (H k Hk)).
Qed.

Lemma affine_moves (L : layer) γ dγ n :
  moves γ (inputs L) dγ -> moves (fun u => affine L (γ u)) n (fun k => sum (inputs L) (fun j => W L k j * dγ j)).
Proof.
  intros H k _. unfold affine.
  apply derive_value with (sum (inputs L) (fun j => W L k j * dγ j) + 0); [|ring].
  apply derive_plus; [|apply derive_const].
  apply derive_sum. intros j Hj.
  exact (is_derive_scal (fun u => γ u j) 0 (W L k j) (dγ j) (H j Hj)).
Qed.

(** The chain rule through every layer above: the recursion is the gradient of the cost, at every depth. *)
Theorem recursion_is_the_gradient :
  forall above z, has_gradient (cost_from c above) (width above) z (recursion grad above z).
Proof.
  induction above as [|L rest IH]; intros z γ dγ H0 Hγ; simpl.
  - apply derive_value with (sum nL (fun k => grad (act τ z) k * (dγ k * τ' (z k)))).
    + apply c_gradient; [intros k Hk; unfold act; rewrite H0 by exact Hk; reflexivity|].
      apply act_moves; assumption.
    + apply sum_ext. intros k _. ring.
  - set (z' := affine L (act σ z)).
    set (dz := fun k => sum (inputs L) (fun j => W L k j * (dγ j * σ' (z j)))).
    apply derive_value with (sum (width rest) (fun k => recursion grad rest z' k * dz k)).
    + apply (IH z' (fun u => affine L (act σ (γ u))) dz).
      * intros k _. unfold z', affine, act. f_equal. apply sum_ext. intros j Hj. rewrite H0 by exact Hj. reflexivity.
      * apply affine_moves. apply act_moves; assumption.
    + unfold dz.
      rewrite (sum_ext _ _ (fun k => sum (inputs L) (fun j => recursion grad rest z' k * W L k j * σ' (z j) * dγ j)))
        by (intros k _; rewrite <- sum_scal; apply sum_ext; intros j _; ring).
      rewrite sum_swap. apply sum_ext. intros j _.
      rewrite (sum_ext _ _ (fun k => (σ' (z j) * dγ j) * (W L k j * recursion grad rest z' k))) by (intros; ring).
      rewrite sum_scal. ring.
Qed.

(** δ is the recursion: the derivative, computed. *)
Lemma delta_is_the_recursion above z j :
  (j < width above)%nat -> delta c above z j = recursion grad above z j.
Proof.
  intros Hj. apply is_derive_unique. apply partial_derivative with (n := width above);
    [apply recursion_is_the_gradient | exact Hj].
Qed.

(** ** BP1: δ^L = ∇_a c ⊙ σ'(z^L), element by element. *)
Theorem BP1 z j : (j < nL)%nat -> delta c [] z j = grad (act τ z) j * τ' (z j).
Proof. intros Hj. apply (delta_is_the_recursion [] z j Hj). Qed.

(** ** BP2: δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l), for a layer l with any layers above l + 1. *)
Theorem BP2 L rest z j :
  (j < inputs L)%nat ->
  delta c (L :: rest) z j
  = sum (width rest) (fun k => W L k j * delta c rest (affine L (act σ z)) k) * σ' (z j).
Proof.
  intros Hj. rewrite (delta_is_the_recursion (L :: rest) z j Hj). simpl. f_equal.
  apply sum_ext. intros k Hk. rewrite (delta_is_the_recursion rest _ k Hk). reflexivity.
Qed.

End Network.

(** ** BP1 for an output activation that is not element-wise (softmax): δ^L = J_s(z^L)ᵀ ∇_a c. *)
Section Vector_output.
Variables (nL : nat) (s : vec -> vec) (J : vec -> mat) (c : vec -> R) (grad : vec -> vec).
Hypothesis s_jacobian : forall z k, (k < nL)%nat -> has_gradient (fun z => s z k) nL z (J z k).
(** Each output a_k = s(z)_k has the gradient row J(z)_{k·}: for softmax, J_kj = s_k ([k = j] − s_j). *)
Hypothesis s_local : forall z z' k, (forall i, (i < nL)%nat -> z i = z' i) -> s z k = s z' k.
(** s reads the n_L weighted inputs of the output layer, no more. *)
Hypothesis c_gradient : forall a, has_gradient c nL a (grad a).

Definition output_delta (z : vec) (j : nat) : R := Derive (fun t => c (s (bump z j t))) 0.

Theorem BP1_jacobian z j :
  (j < nL)%nat -> output_delta z j = sum nL (fun k => J z k j * grad (s z) k).
Proof.
  intros Hj. apply is_derive_unique.
  assert (G : has_gradient (fun z => c (s z)) nL z (fun j => sum nL (fun k => J z k j * grad (s z) k))).
  { intros γ dγ H0 Hγ.
    apply derive_value with (sum nL (fun k => grad (s z) k * sum nL (fun j => J z k j * dγ j))).
    - apply c_gradient.
      + intros k _. apply s_local. exact H0.
      + intros k Hk. exact (s_jacobian z k Hk γ dγ H0 Hγ).
    - rewrite (sum_ext _ _ (fun k => sum nL (fun j => (grad (s z) k * J z k j) * dγ j)))
        by (intros k _; rewrite <- sum_scal; apply sum_ext; intros; ring).
      rewrite sum_swap. apply sum_ext. intros j' _. rewrite Rmult_comm, <- sum_scal.
      apply sum_ext. intros; ring. }
  exact (partial_derivative (fun z => c (s z)) nL z _ j G Hj).
Qed.
End Vector_output.

(** ** The batch: BP3 and BP4, and δ of the batch cost. *)
Section Batch.
Variables (σ σ' τ τ' : R -> R) (nL N : nat).
Hypothesis σ_derivative : forall x, is_derive σ x (σ' x).
Hypothesis τ_derivative : forall x, is_derive τ x (τ' x).
Variables (costs : nat -> vec -> R) (grads : nat -> vec -> vec).
Hypothesis costs_gradient : forall x a, has_gradient (costs x) nL a (grads x a).
(** Sample x's cost c_x (its target y_x inside), with the gradient ∇_a c_x. *)

(** C = (1/N) Σ_x c_x(a^L_x), from the weighted inputs [zs x] = z^l_x of every sample at one layer. *)
Definition batch_cost (above : list layer) (zs : nat -> vec) : R :=
  / INR N * sum N (fun x => cost_from σ τ (costs x) above (zs x)).

(** δ^l_{jx} = ∂C/∂z^l_{jx}: the derivative of the batch cost as z^l_{jx} alone moves. *)
Definition batch_delta (above : list layer) (zs : nat -> vec) (x j : nat) : R :=
  Derive (fun t => batch_cost above (fun x' => if Nat.eqb x' x then bump (zs x') j t else zs x')) 0.

Let sample_gradient x above z := recursion_is_the_gradient σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) above z.

(** The batch's δ is each sample's, over N: the 1/N of the mean, once. *)
Theorem batch_delta_is_the_mean above zs x j :
  (x < N)%nat -> (j < width nL above)%nat ->
  batch_delta above zs x j = / INR N * delta σ τ (costs x) above (zs x) j.
Proof.
  intros Hx Hj. unfold batch_delta.
  rewrite (delta_is_the_recursion σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) above (zs x) j Hj).
  set (moved := fun t x' => if Nat.eqb x' x then bump (zs x') j t else zs x').
  (* the sum over the batch, where sample x alone moves *)
  assert (D : is_derive (fun t => sum N (fun x' => cost_from σ τ (costs x') above (moved t x'))) 0
                (recursion σ σ' τ τ' nL (grads x) above (zs x) j)).
  { apply derive_value with
      (sum N (fun x' => if Nat.eqb x' x then recursion σ σ' τ τ' nL (grads x) above (zs x) j else 0)).
    - apply derive_sum. intros x' _. unfold moved. destruct (Nat.eqb x' x) eqn:E.
      + apply Nat.eqb_eq in E. subst x'.
        exact (partial_derivative _ _ _ _ j (sample_gradient x above (zs x)) Hj).
      + apply derive_const.
    - exact (sum_pick N x (fun _ => recursion σ σ' τ τ' nL (grads x) above (zs x) j) Hx). }
  (* the batch cost is the mean of that sum *)
  assert (M : forall t, batch_cost above (moved t) = / INR N * sum N (fun x' => cost_from σ τ (costs x') above (moved t x'))).
  { intros t. reflexivity. }
  apply is_derive_unique. apply (derive_ext (fun t => / INR N * sum N (fun x' => cost_from σ τ (costs x') above (moved t x')))).
  - intros t. exact (eq_sym (M t)).
  - exact (is_derive_scal _ 0 (/ INR N) _ D).
Qed.

(** ** BP1 and BP2 for the batch's δ, as the reference computes it (the 1/N inside ∇_a C). *)
Theorem batch_BP1 zs x j :
  (x < N)%nat -> (j < nL)%nat ->
  batch_delta [] zs x j = (/ INR N * grads x (act τ (zs x)) j) * τ' (zs x j).
Proof.
  intros Hx Hj. rewrite batch_delta_is_the_mean by assumption.
  rewrite (BP1 σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) (zs x) j Hj). ring.
Qed.

Theorem batch_BP2 L rest zs x j :
  (x < N)%nat -> (j < inputs L)%nat ->
  batch_delta (L :: rest) zs x j
  = sum (width nL rest) (fun k => W L k j * batch_delta rest (fun x => affine L (act σ (zs x))) x k) * σ' (zs x j).
Proof.
  intros Hx Hj. rewrite batch_delta_is_the_mean by assumption.
  rewrite (BP2 σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) L rest (zs x) j Hj).
  rewrite (sum_ext _ (fun k => W L k j * batch_delta rest (fun x => affine L (act σ (zs x))) x k)
                     (fun k => / INR N * (W L k j * delta σ τ (costs x) rest (affine L (act σ (zs x))) k))).
  - rewrite sum_scal. ring.
  - intros k Hk. rewrite batch_delta_is_the_mean by assumption. cbv beta. ring.
Qed.

(** The layer l with b^l_j moved by t, and with W^l_{ji} moved by t. *)
Definition with_bias (L : layer) (j : nat) (t : R) : layer := {| inputs := inputs L; W := W L; b := bump (b L) j t |}.
Definition with_weight (L : layer) (j i : nat) (t : R) : layer :=
  {| inputs := inputs L; W := fun k i' => if andb (Nat.eqb k j) (Nat.eqb i' i) then W L k i' + t else W L k i'; b := b L |}.

Definition batch_of (L : layer) (a : nat -> vec) : nat -> vec := fun x => affine L (a x).
(** z^l_x = W^l a^{l−1}_x + b^l for every sample x, from the activations a^{l−1}_x of the layer below. *)

(** The batch cost's derivative, where every sample's z^l moves along a curve. *)
Lemma batch_derivative above (γ : nat -> R -> vec) (dγ : nat -> vec) zs :
  (forall x k, (k < width nL above)%nat -> γ x 0 k = zs x k) ->
  (forall x, moves (γ x) (width nL above) (dγ x)) ->
  is_derive (fun t => batch_cost above (fun x => γ x t)) 0
    (/ INR N * sum N (fun x => sum (width nL above) (fun k => recursion σ σ' τ τ' nL (grads x) above (zs x) k * dγ x k))).
Proof.
  intros H0 Hγ. unfold batch_cost. apply is_derive_scal. apply derive_sum. intros x _.
  exact (sample_gradient x above (zs x) (γ x) (dγ x) (H0 x) (Hγ x)).
Qed.

(** ** BP3: ∂C/∂b^l_j = Σ_x δ^l_{jx}. *)
Theorem BP3 L above a j :
  (j < width nL above)%nat ->
  Derive (fun t => batch_cost above (batch_of (with_bias L j t) a)) 0
  = sum N (fun x => batch_delta above (batch_of L a) x j).
Proof.
  intros Hj. apply is_derive_unique.
  apply derive_value with
    (/ INR N * sum N (fun x => sum (width nL above)
       (fun k => recursion σ σ' τ τ' nL (grads x) above (batch_of L a x) k * (if Nat.eqb k j then 1 else 0)))).
  - apply (batch_derivative above (fun x t => batch_of (with_bias L j t) a x) (fun _ k => if Nat.eqb k j then 1 else 0)).
    + intros x k _. unfold batch_of, affine, with_bias. simpl. rewrite bump_at_0. reflexivity.
    + intros x k _. unfold batch_of, affine, with_bias. simpl.
      apply derive_value with (0 + (if Nat.eqb k j then 1 else 0)); [|ring].
      apply derive_plus; [apply derive_const | unfold bump; destruct (Nat.eqb k j); [apply derive_shift | apply derive_const]].
  - rewrite <- sum_scal. apply sum_ext. intros x Hx.
    rewrite batch_delta_is_the_mean by assumption.
    rewrite (delta_is_the_recursion σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) above _ j Hj).
    f_equal. rewrite (sum_ext _ _ (fun k => if Nat.eqb k j then recursion σ σ' τ τ' nL (grads x) above (batch_of L a x) k else 0)).
    + apply sum_pick. exact Hj.
    + intros k _. destruct (Nat.eqb k j); ring.
Qed.

(** ** BP4: ∂C/∂W^l_{ji} = Σ_x δ^l_{jx} a^{l−1}_{ix}, the batch sum of δ^l (a^{l−1})ᵀ. *)
Theorem BP4 L above a j i :
  (j < width nL above)%nat -> (i < inputs L)%nat ->
  Derive (fun t => batch_cost above (batch_of (with_weight L j i t) a)) 0
  = sum N (fun x => batch_delta above (batch_of L a) x j * a x i).
Proof.
  intros Hj Hi. apply is_derive_unique.
  set (dz := fun x k => if Nat.eqb k j then a x i else 0).
  apply derive_value with
    (/ INR N * sum N (fun x => sum (width nL above) (fun k => recursion σ σ' τ τ' nL (grads x) above (batch_of L a x) k * dz x k))).
  - apply (batch_derivative above (fun x t => batch_of (with_weight L j i t) a x) dz).
    + intros x k _. unfold batch_of, affine, with_weight. simpl. f_equal. apply sum_ext. intros i' _.
      destruct (andb (Nat.eqb k j) (Nat.eqb i' i)); ring.
    + intros x k _. unfold batch_of, affine, with_weight, dz. simpl.
      apply derive_value with
        (sum (inputs L) (fun i' => if andb (Nat.eqb k j) (Nat.eqb i' i) then a x i' else 0) + 0).
      * apply derive_plus; [|apply derive_const]. apply derive_sum. intros i' _.
        destruct (andb (Nat.eqb k j) (Nat.eqb i' i)).
        -- apply derive_value with (1 * a x i'); [apply derive_times_const; apply derive_shift | ring].
        -- apply derive_value with (0 * a x i'); [apply derive_times_const; apply derive_const | ring].
      * destruct (Nat.eqb k j).
        -- simpl. rewrite Rplus_0_r. apply sum_pick. exact Hi.
        -- simpl. rewrite sum_zero. ring.
  - rewrite <- sum_scal. apply sum_ext. intros x Hx.
    rewrite batch_delta_is_the_mean by assumption.
    rewrite (delta_is_the_recursion σ σ' τ τ' σ_derivative τ_derivative nL (costs x) (grads x) (costs_gradient x) above _ j Hj).
    unfold dz.
    rewrite (sum_ext _ _ (fun k => if Nat.eqb k j then recursion σ σ' τ τ' nL (grads x) above (batch_of L a x) k * a x i else 0)).
    + rewrite sum_pick by exact Hj. ring.
    + intros k _. destruct (Nat.eqb k j); ring.
Qed.

End Batch.

(** The update W ← W − η ∂C/∂W, b ← b − η ∂C/∂b is a definition of gradient descent, not a theorem here: what is
    proven is that the ∂C/∂W and ∂C/∂b it steps along are the derivatives of C (BP3, BP4). *)
