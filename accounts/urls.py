from django.urls import path

from accounts import views

urlpatterns = [
    path("login", views.LoginView.as_view(), name="auth-login"),
    path("logout", views.LogoutView.as_view(), name="auth-logout"),
    path("refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("verify", views.VerifyView.as_view(), name="auth-verify"),
    path("forgot-password", views.ForgotPasswordView.as_view(), name="auth-forgot-password"),
    path("reset-password", views.ResetPasswordView.as_view(), name="auth-reset-password"),
]
