; ModuleID = 'axpy_nvptx.ll'
source_filename = "axpy_nvptx.ll"
target triple = "nvptx64-nvidia-cuda"

declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
declare i32 @llvm.nvvm.read.ptx.sreg.ntid.x()

; One thread per element: y[i] = a * x[i] + y[i] for i = ctaid.x * ntid.x + tid.x < n
define ptx_kernel void @axpy(i64 %n, float %a, ptr addrspace(1) noalias %x, ptr addrspace(1) noalias %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %block = zext i32 %ctaid to i64
  %width = zext i32 %ntid to i64
  %lane = zext i32 %tid to i64
  %base = mul nuw nsw i64 %block, %width
  %i = add nuw nsw i64 %base, %lane
  %inside = icmp slt i64 %i, %n
  br i1 %inside, label %body, label %exit

body:
  %px = getelementptr inbounds float, ptr addrspace(1) %x, i64 %i
  %py = getelementptr inbounds float, ptr addrspace(1) %y, i64 %i
  %xi = load float, ptr addrspace(1) %px, align 4
  %yi = load float, ptr addrspace(1) %py, align 4
  %axi = fmul float %a, %xi
  %sum = fadd float %axi, %yi
  store float %sum, ptr addrspace(1) %py, align 4
  br label %exit

exit:
  ret void
}

define ptx_kernel void @axpy_f64(i64 %n, double %a, ptr addrspace(1) noalias %x, ptr addrspace(1) noalias %y) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
  %ctaid = call i32 @llvm.nvvm.read.ptx.sreg.ctaid.x()
  %ntid = call i32 @llvm.nvvm.read.ptx.sreg.ntid.x()
  %block = zext i32 %ctaid to i64
  %width = zext i32 %ntid to i64
  %lane = zext i32 %tid to i64
  %base = mul nuw nsw i64 %block, %width
  %i = add nuw nsw i64 %base, %lane
  %inside = icmp slt i64 %i, %n
  br i1 %inside, label %body, label %exit

body:
  %px = getelementptr inbounds double, ptr addrspace(1) %x, i64 %i
  %py = getelementptr inbounds double, ptr addrspace(1) %y, i64 %i
  %xi = load double, ptr addrspace(1) %px, align 8
  %yi = load double, ptr addrspace(1) %py, align 8
  %axi = fmul double %a, %xi
  %sum = fadd double %axi, %yi
  store double %sum, ptr addrspace(1) %py, align 8
  br label %exit

exit:
  ret void
}
