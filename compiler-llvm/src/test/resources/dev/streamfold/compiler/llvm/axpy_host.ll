; ModuleID = 'axpy_host.ll'
source_filename = "axpy_host.ll"

; y[i] = a * x[i] + y[i] for i in [0, n)
define void @axpy(i64 %n, float %a, ptr noalias %x, ptr noalias %y) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %px = getelementptr inbounds float, ptr %x, i64 %i
  %py = getelementptr inbounds float, ptr %y, i64 %i
  %xi = load float, ptr %px, align 4
  %yi = load float, ptr %py, align 4
  %axi = fmul float %a, %xi
  %sum = fadd float %axi, %yi
  store float %sum, ptr %py, align 4
  %next = add nuw nsw i64 %i, 1
  %done = icmp eq i64 %next, %n
  br i1 %done, label %exit, label %loop

exit:
  ret void
}

define void @axpy_f64(i64 %n, double %a, ptr noalias %x, ptr noalias %y) {
entry:
  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %exit, label %loop

loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %px = getelementptr inbounds double, ptr %x, i64 %i
  %py = getelementptr inbounds double, ptr %y, i64 %i
  %xi = load double, ptr %px, align 8
  %yi = load double, ptr %py, align 8
  %axi = fmul double %a, %xi
  %sum = fadd double %axi, %yi
  store double %sum, ptr %py, align 8
  %next = add nuw nsw i64 %i, 1
  %done = icmp eq i64 %next, %n
  br i1 %done, label %exit, label %loop

exit:
  ret void
}
