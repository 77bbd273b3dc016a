(** What each theorem rests on: `make -C proofs` prints it; tests/test_coq.py accepts only the standard library's
    classical reals (ClassicalDedekindReals) and functional extensionality (used inside Coquelicot). *)
From Backprop Require Import Backprop.
Print Assumptions BP1.
Print Assumptions BP2.
Print Assumptions BP3.
Print Assumptions BP4.
Print Assumptions BP1_jacobian.
Print Assumptions batch_BP1.
Print Assumptions batch_BP2.
Print Assumptions batch_delta_is_the_mean.
Print Assumptions recursion_is_the_gradient.
Print Assumptions quadratic_gradient.
